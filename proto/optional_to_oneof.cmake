# cmake -DDIR=... -P optional_to_oneof.cmake
# Rewrites proto3 `optional T name = N;` as `oneof _name { T name = N; }`
# (what protoc itself makes of it: same wire format, same presence), for
# protoc-c 1.4, which refuses proto3 optional.
file(GLOB_RECURSE files ${DIR}/*.proto)
foreach(f ${files})
  file(READ ${f} text)
  if(NOT text MATCHES "syntax *= *\"proto3\"")
    continue()  # proto2 (nanopb.proto): optional is its own keyword there
  endif()
  string(REGEX REPLACE "([\n][ \t]*)optional[ \t]+([A-Za-z0-9_.]+)[ \t]+([A-Za-z0-9_]+)([ \t]*=[^;]*;)"
         "\\1oneof _\\3 { \\2 \\3\\4 }" text "${text}")
  file(WRITE ${f} "${text}")
endforeach()
