# SPDX-License-Identifier: BSD-3-Clause
# `cmake --install BUILD [--prefix P]`: libmos.a, the runtime headers, mosc,
# the stdlib and libmos.pc. Included by compiler/backend.cmake (after the
# mos and mosc targets exist). The .pc file finds its prefix from its own
# place (${pcfiledir}), so an installation can be moved or made with
# --prefix at install time; an installed mosc finds it through
# `pkg-config libmos` (docs/backend.md, "Installed use").
set(MOS_INSTALL_PKGCONFIG lib/pkgconfig)
set(MOS_INSTALL_STDLIB share/mos/stdlib)
install(TARGETS mos ARCHIVE DESTINATION lib)
install(TARGETS mosc RUNTIME DESTINATION bin)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/runtime/include/mos DESTINATION include)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/stdlib/ DESTINATION ${MOS_INSTALL_STDLIB}
        PATTERN CMakeLists.txt EXCLUDE)
file(WRITE ${CMAKE_BINARY_DIR}/libmos.pc
"prefix=\${pcfiledir}/../..
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: libmos
Description: mos runtime: flow engine, TCP reassembly, events and the support of programs compiled by mosc
Version: ${PROJECT_VERSION}
Requires: libdpdk libpcap
Cflags: -I\${includedir}
Libs: -L\${libdir} -lmos -lm
")
install(FILES ${CMAKE_BINARY_DIR}/libmos.pc DESTINATION ${MOS_INSTALL_PKGCONFIG})
