// SPDX-License-Identifier: BSD-3-Clause
/* companion C of the test module http.mos (only its presence is checked) */
