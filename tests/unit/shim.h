/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The C shim for GoogleTest: the runtime's C headers carry no extern "C"
 * guards of their own, so C++ tests include them through this file only.
 */
#ifndef MOS_TEST_SHIM_H
#define MOS_TEST_SHIM_H

extern "C" {
#include "mos/decode.h"
#include "mos/stats.h"
#include "mos/stream.h"
#include "mos/ipfrag.h"
#include "mos/tcp.h"
#include "mos/flow.h"
#include "mos/event.h"
#include "mos/abi.h"
#include "mos/mos.h"
}

#endif
