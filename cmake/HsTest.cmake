# hs_add_test(NAME SOURCES... LABEL label TIMEOUT seconds [LIBS libs...])
# One helper registers every test: a Qt Test executable, a ctest entry with a
# timeout, a label and the headless Qt platform.
function(hs_add_test name)
  cmake_parse_arguments(T "" "LABEL;TIMEOUT" "SOURCES;LIBS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE hs_engine hs_testcommon Qt6::Test ${T_LIBS})
  # A test's own file is checks and set-up; what it measures runs in the libraries, which keep
  # the build's optimization. Unoptimized, the three trees of the test command compile their
  # tests in well under the time (the 30-minute budget of CI on 2 cores).
  target_compile_options(${name} PRIVATE -O0)
  if(T_LABEL STREQUAL "ui")
    hs_test_pch(${name} ui)
  else()
    hs_test_pch(${name} engine)
  endif()
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES
    TIMEOUT ${T_TIMEOUT}
    LABELS "${T_LABEL}"
    ENVIRONMENT "QT_QPA_PLATFORM=offscreen;XDG_DATA_HOME=${PROJECT_BINARY_DIR}/tests/no-calibration;HS_SOURCE_DIR=${PROJECT_SOURCE_DIR};HS_BINARY_DIR=${PROJECT_BINARY_DIR};HS_WORKER=$<TARGET_FILE_DIR:hybridscope>/hybridscope-worker;HS_APP=$<TARGET_FILE:hybridscope>")
endfunction()
