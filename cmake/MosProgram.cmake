# SPDX-License-Identifier: BSD-3-Clause
# mos_add_program(NAME SOURCE [INCLUDES DIR...] [DEPENDS FILE...])
#
# Builds the .mos program SOURCE into the executable ${CMAKE_CURRENT_BINARY_DIR}/NAME
# with `mosc build` as part of the default build (target mosprog_NAME). The
# program is rebuilt when mosc, libmos, SOURCE, any .mos or .c file next to SOURCE,
# any stdlib module or companion, or a DEPENDS file changes. INCLUDES become -I.
# The executable's path is in the global property MOS_PROGRAM_<NAME>, for tests
# and benchmarks: get_property(p GLOBAL PROPERTY MOS_PROGRAM_httplog).
function(mos_add_program name source)
  cmake_parse_arguments(P "" "" "INCLUDES;DEPENDS" ${ARGN})
  get_filename_component(src ${source} ABSOLUTE)
  get_filename_component(srcdir ${src} DIRECTORY)
  file(GLOB neighbours CONFIGURE_DEPENDS ${srcdir}/*.mos ${srcdir}/*.c ${srcdir}/*.h)
  file(GLOB_RECURSE stdlib_files CONFIGURE_DEPENDS
    ${CMAKE_SOURCE_DIR}/stdlib/*.mos ${CMAKE_SOURCE_DIR}/stdlib/*.c ${CMAKE_SOURCE_DIR}/stdlib/*.h)
  set(incs "")
  foreach(d ${P_INCLUDES})
    list(APPEND incs -I ${d})
  endforeach()
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${name})
  add_custom_command(OUTPUT ${out}
    COMMAND $<TARGET_FILE:mosc> build ${incs} ${src} -o ${out}
    DEPENDS mosc mos ${src} ${neighbours} ${stdlib_files} ${P_DEPENDS}
    WORKING_DIRECTORY ${srcdir}
    COMMENT "mosc build ${source} -> ${name}"
    VERBATIM)
  add_custom_target(mosprog_${name} ALL DEPENDS ${out})
  set_property(GLOBAL PROPERTY MOS_PROGRAM_${name} ${out})
endfunction()
