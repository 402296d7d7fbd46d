// SPDX-License-Identifier: BSD-3-Clause
/* companion C of ext.mos (only its presence is checked) */
