# SPDX-License-Identifier: Apache-2.0
# Writes OUTPUT: a C++ source defining one std::string_view per sql/NAME.sql,
# named tsync::sql::NAME, holding the file's text unchanged.
set(body "// Generated from sql/*.sql by cmake/embed_sql.cmake. Do not edit.\n")
string(APPEND body "#include \"common/sql_text.hpp\"\n\nnamespace tsync::sql {\n")
string(REPLACE "|" ";" INPUTS "${INPUTS}")
foreach(input IN LISTS INPUTS)
  if(input STREQUAL "")
    continue()
  endif()
  get_filename_component(name ${input} NAME_WE)
  file(READ ${input} text)
  string(APPEND body "extern const std::string_view ${name} = R\"tsync_sql(${text})tsync_sql\";\n")
endforeach()
string(APPEND body "}  // namespace tsync::sql\n")
file(WRITE ${OUTPUT}.tmp "${body}")
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
