# SPDX-License-Identifier: Apache-2.0
# Builds a manual page, NAME.1.gz, from its Markdown source NAME.1.md, at build time:
#   cmake -DSOURCE=tsync.1.md -DREADME=README.md -DVERSION=x.y.z -DGO_MD2MAN=...
#         -DGZIP=... -DOUTPUT=man/tsync.1.gz -P man_page.cmake
# HTML comments are dropped, @PROJECT_VERSION@ becomes the version, and each
# @README_TABLE <cell>@ the table of README.md whose header row begins with that
# cell, as a list: the README and the manual page share one text of the exit
# codes and the configuration keys. The Markdown as built is kept beside OUTPUT
# as NAME.1.built.md (scripts/check-man-page.sh reads it).
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

# Every @README_TABLE <cell>@ of the page.
string(REGEX MATCHALL "@README_TABLE [^@\n]+@" placeholders "${page}")
if(placeholders)
  file(READ "${README}" readme)
  string(REPLACE ";" "@SEMICOLON@" readme "${readme}")
  string(REPLACE "\n" ";" readme_lines "${readme}")
endif()

# readme_table(<first header cell> <out> <keys>): the README table whose header
# row begins "| <cell> |", as a Markdown definition list, the way manual pages
# give options and settings: "**code**" and the meaning below it, or for three
# columns "**key** (default: ...)" and the meaning. <keys> gets the first cells.
function(readme_table cell out keys_out)
  set(list "")
  set(keys "")
  set(state before)  # before, header, rows
  foreach(line IN LISTS readme_lines)
    if(state STREQUAL before)
      string(FIND "${line}" "| ${cell} |" at)
      if(at EQUAL 0)
        set(state header)
      endif()
      continue()
    endif()
    if(NOT line MATCHES "^\\|")
      break()
    endif()
    if(state STREQUAL header)  # the |---|---| line
      set(state rows)
      continue()
    endif()
    if(line MATCHES "^\\| *([^|]*[^| ]) *\\| *([^|]*[^| ]) *\\| *(.*[^| ]) *\\|$")
      set(first "${CMAKE_MATCH_1}")
      set(second "${CMAKE_MATCH_2}")
      set(third "${CMAKE_MATCH_3}")
      string(REPLACE "`" "" first "${first}")
      if(second MATCHES "^\\(")
        string(APPEND list "**${first}** ${second}\n:   ${third}\n\n")
      else()
        string(APPEND list "**${first}** (default: ${second})\n:   ${third}\n\n")
      endif()
    elseif(line MATCHES "^\\| *([^|]*[^| ]) *\\| *(.*[^| ]) *\\|$")
      set(first "${CMAKE_MATCH_1}")
      set(second "${CMAKE_MATCH_2}")
      string(REPLACE "`" "" first "${first}")
      string(APPEND list "**${first}**\n:   ${second}\n\n")
    else()
      message(FATAL_ERROR "${README}: a row of the table \"${cell}\" the manual page includes: ${line}")
    endif()
    list(APPEND keys "${first}")
  endforeach()
  if(state STREQUAL before)
    message(FATAL_ERROR "${README}: no table with the header \"| ${cell} |\", which the manual page includes")
  endif()
  string(REPLACE "@SEMICOLON@" ";" list "${list}")
  string(STRIP "${list}" list)
  set(${out} "${list}" PARENT_SCOPE)
  set(${keys_out} "${keys}" PARENT_SCOPE)
endfunction()

set(readme_keys "")
set(tables "")
foreach(placeholder IN LISTS placeholders)
  string(REGEX REPLACE "^@README_TABLE (.*)@$" "\\1" cell "${placeholder}")
  readme_table("${cell}" text keys)
  list(APPEND readme_keys ${keys})
  list(APPEND tables "${placeholder}")
  string(REPLACE ";" "@SEMICOLON@" text "${text}")
  string(MAKE_C_IDENTIFIER "table_${cell}" name)
  set(${name} "${text}")
endforeach()

# An entry the page writes itself for a key the README's tables hold now is
# dropped: the README's text is the one kept.
foreach(key IN LISTS readme_keys)
  string(REGEX REPLACE "\n\\*\\*${key}\\*\\*[^\n]*\n:   [^\n]*(\n    [^\n]*)*\n" "\n" page "${page}")
endforeach()

foreach(placeholder IN LISTS tables)
  string(REGEX REPLACE "^@README_TABLE (.*)@$" "\\1" cell "${placeholder}")
  string(MAKE_C_IDENTIFIER "table_${cell}" name)
  string(REPLACE "@SEMICOLON@" ";" text "${${name}}")
  string(REPLACE "${placeholder}" "${text}" page "${page}")
endforeach()
string(REPLACE "@PROJECT_VERSION@" "${VERSION}" page "${page}")

get_filename_component(dir "${OUTPUT}" DIRECTORY)
get_filename_component(name "${OUTPUT}" NAME)
string(REGEX REPLACE "\\.gz$" "" name "${name}")
set(md "${dir}/${name}.built.md")
set(roff "${dir}/${name}")
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
