# Builds the manual page tsync.1 from tsync.1.md, at build time:
#   cmake -DSOURCE=tsync.1.md -DREADME=README.md -DVERSION=x.y.z -DGO_MD2MAN=...
#         -DGZIP=... -DOUTPUT=tsync.1.gz -P man_page.cmake
# HTML comments are dropped, @PROJECT_VERSION@ becomes the version, and
# @README_EXIT_CODES@ the table under README.md's "### Exit codes" heading, so
# that the README and the manual page share one text of the exit codes.
cmake_minimum_required(VERSION 3.20)
file(READ "${SOURCE}" page)

while(TRUE)
  string(FIND "${page}" "<!--" open)
  if(open EQUAL -1)
    break()
  endif()
  string(SUBSTRING "${page}" ${open} -1 rest)
  string(FIND "${rest}" "-->" close)
  if(close EQUAL -1)
    message(FATAL_ERROR "${SOURCE}: a comment <!-- is never closed")
  endif()
  math(EXPR after "${close} + 3")
  string(SUBSTRING "${page}" 0 ${open} head)
  string(SUBSTRING "${rest}" ${after} -1 tail)
  string(REGEX REPLACE "^\n+" "" tail "${tail}")
  set(page "${head}${tail}")
endwhile()

file(READ "${README}" readme)
string(FIND "${readme}" "\n### Exit codes\n" start)
if(start EQUAL -1)
  message(FATAL_ERROR "${README}: no \"### Exit codes\" heading, which the manual page includes")
endif()
math(EXPR start "${start} + 16")
string(SUBSTRING "${readme}" ${start} -1 section)
string(FIND "${section}" "\n#" end)
if(NOT end EQUAL -1)
  string(SUBSTRING "${section}" 0 ${end} section)
endif()
string(STRIP "${section}" section)

# The README's table (| code | meaning |) becomes a list, as manual pages give
# exit statuses: its rows as "**code**" and an indented meaning. CMake lists
# split at ";", which the text holds: it is kept aside as @SEMICOLON@.
string(REPLACE ";" "@SEMICOLON@" section "${section}")
string(REPLACE "\n" ";" rows "${section}")
set(list "")
set(header TRUE)
foreach(row IN LISTS rows)
  if(NOT row MATCHES "^\\| *([^|]*[^| ]) *\\| *(.*[^| ]) *\\|$")
    message(FATAL_ERROR "${README}: Exit codes: not a row of a two-column table: ${row}")
  endif()
  set(code "${CMAKE_MATCH_1}")
  set(meaning "${CMAKE_MATCH_2}")
  if(header OR code MATCHES "^[-: ]+$")
    set(header FALSE)
    continue()
  endif()
  string(APPEND list "**${code}**\n:   ${meaning}\n\n")
endforeach()
string(REPLACE "@SEMICOLON@" ";" section "${list}")
string(STRIP "${section}" section)

string(REPLACE "@PROJECT_VERSION@" "${VERSION}" page "${page}")
string(REPLACE "@README_EXIT_CODES@" "${section}" page "${page}")

get_filename_component(dir "${OUTPUT}" DIRECTORY)
set(md "${dir}/tsync.1.built.md")
set(roff "${dir}/tsync.1")
file(WRITE "${md}" "${page}")
execute_process(COMMAND "${GO_MD2MAN}" -in "${md}" -out "${roff}" RESULT_VARIABLE failed)
if(failed)
  message(FATAL_ERROR "go-md2man could not convert ${md}")
endif()
# Debian installs manual pages compressed; -n leaves the time out, for
# reproducible packages.
execute_process(COMMAND "${GZIP}" -9nf "${roff}" RESULT_VARIABLE failed)
if(failed)
  message(FATAL_ERROR "gzip could not compress ${roff}")
endif()
