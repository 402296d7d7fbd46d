/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * compiler/build.h — the back-end subcommands of mosc: `emit-c`, `build`
 * and `dump forest`. `build` writes the generated C to a temporary
 * directory and runs the C compiler with the runtime's include directory,
 * libmos.a and the DPDK/libpcap flags baked in at configure time
 * (mosc_paths.h, made by compiler/backend.cmake).
 *
 * Thread-safety: process-level (runs the C compiler).
 */
#ifndef MOSC_BUILD_H
#define MOSC_BUILD_H

/*
 * Run a back-end subcommand if argv[1] names one ("emit-c", "build",
 * "dump forest"). Returns the exit status, or -1 when argv is not a
 * back-end command (the driver then handles it).
 */
int build_main(int argc, char **argv);

/* The standard library directory: the source tree's for the build tree's
 * mosc, PREFIX/share/mos/stdlib for an installed one. */
const char *build_stdlib_dir(void);

#endif /* MOSC_BUILD_H */
