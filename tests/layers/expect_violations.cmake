# Runs cmake/CheckLayers.cmake on tests/layers/fixture, a small tree that breaks each rule once,
# and fails unless the check fails and names every violation (file, line, what).
execute_process(
  COMMAND ${CMAKE_COMMAND} -DENGINE_DIR=${FIXTURE} -DORDER_FILE=${ORDER_FILE} -P ${SCRIPT}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(text "${out}${err}")
message("${text}")
if(rc EQUAL 0)
  message(FATAL_ERROR "the layer check passed a tree with violations")
endif()
set(expected
  "5 violation\\(s\\)"
  "core/a.h:3: #include \"run/b.h\" goes upward: run/ is above core/"
  "scenario/d.cpp:2: #include \"d.h\" names no folder"
  "scenario/d.cpp:3: #include \"ui/mainwindow.h\": 'ui' is not an engine layer"
  "stray.h: not in a layer folder"
  "extra/x.h: folder 'extra' is not in the layer order")
foreach(e IN LISTS expected)
  if(NOT text MATCHES "${e}")
    message(FATAL_ERROR "missing from the layer check's output: ${e}")
  endif()
endforeach()
# Downward and same-folder includes are fine: none of them may be reported.
foreach(ok "run/b.h:3" "core/a.h:4" "scenario/d.cpp:1:")
  string(FIND "${text}" "${ok}" at)
  if(NOT at EQUAL -1)
    message(FATAL_ERROR "the layer check reported an allowed include: ${ok}")
  endif()
endforeach()
