# SPDX-License-Identifier: Apache-2.0
# Builds a manual page, NAME.1.gz, from its Markdown source NAME.1.md, at build time:
#   cmake -DSOURCE=docs/man/tsync.1.md -DSOURCE_DIR=. -DVERSION=x.y.z -DGO_MD2MAN=...
#         -DGZIP=... -DOUTPUT=man/tsync.1.gz -P man_page.cmake
# HTML comments are dropped, @PROJECT_VERSION@ becomes the version, and each
# @DOC_TABLE <file> <cell>@ the table of <file> (a Markdown file, relative to
# SOURCE_DIR) whose header row begins with that cell, as a list: the documentation
# and the manual page share one text of the exit codes and the configuration keys.
# Links in those tables keep their text only. The Markdown as built is kept beside
# OUTPUT as NAME.1.built.md (scripts/check-man-page.sh reads it).
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

# Every @DOC_TABLE <file> <cell>@ of the page.
string(REGEX MATCHALL "@DOC_TABLE [^ @\n]+ [^@\n]+@" placeholders "${page}")

# doc_table(<file> <first header cell> <out> <keys>): the table of <file> whose
# header row begins "| <cell> |", as a Markdown definition list, the way manual
# pages give options and settings: "**code**" and the meaning below it, or for
# three columns "**key** (default: ...)" (or the second header cell's name in
# place of "default") and the meaning. <keys> gets the first cells.
function(doc_table file cell out keys_out)
  set(path "${SOURCE_DIR}/${file}")
  if(NOT EXISTS "${path}")
    message(FATAL_ERROR "${SOURCE}: @DOC_TABLE ${file} ${cell}@ names a file that does not exist")
  endif()
  file(READ "${path}" text)
  string(REPLACE ";" "@SEMICOLON@" text "${text}")
  string(REPLACE "\n" ";" lines "${text}")
  set(list "")
  set(keys "")
  set(label "default")
  set(state before)  # before, header, rows
  foreach(line IN LISTS lines)
    if(state STREQUAL before)
      string(FIND "${line}" "| ${cell} |" at)
      if(at EQUAL 0)
        set(state header)
        if(line MATCHES "^\\| *[^|]*[^| ] *\\| *([^|]*[^| ]) *\\| *[^|]*[^| ] *\\|$")
          set(label "${CMAKE_MATCH_1}")
        endif()
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
    # A link keeps its text: the manual page has no pages to link to.
    string(REGEX REPLACE "\\[([^]]*)\\]\\([^)]*\\)" "\\1" line "${line}")
    if(line MATCHES "^\\| *([^|]*[^| ]) *\\| *([^|]*[^| ]) *\\| *(.*[^| ]) *\\|$")
      set(first "${CMAKE_MATCH_1}")
      set(second "${CMAKE_MATCH_2}")
      set(third "${CMAKE_MATCH_3}")
      string(REPLACE "`" "" first "${first}")
      if(second MATCHES "^\\(")
        string(APPEND list "**${first}** ${second}\n:   ${third}\n\n")
      else()
        string(APPEND list "**${first}** (${label}: ${second})\n:   ${third}\n\n")
      endif()
    elseif(line MATCHES "^\\| *([^|]*[^| ]) *\\| *(.*[^| ]) *\\|$")
      set(first "${CMAKE_MATCH_1}")
      set(second "${CMAKE_MATCH_2}")
      string(REPLACE "`" "" first "${first}")
      string(APPEND list "**${first}**\n:   ${second}\n\n")
    else()
      message(FATAL_ERROR "${file}: a row of the table \"${cell}\" the manual page includes: ${line}")
    endif()
    list(APPEND keys "${first}")
  endforeach()
  if(state STREQUAL before)
    message(FATAL_ERROR "${file}: no table with the header \"| ${cell} |\", which the manual page includes")
  endif()
  string(REPLACE "@SEMICOLON@" ";" list "${list}")
  string(STRIP "${list}" list)
  set(${out} "${list}" PARENT_SCOPE)
  set(${keys_out} "${keys}" PARENT_SCOPE)
endfunction()

set(table_keys "")
set(tables "")
foreach(placeholder IN LISTS placeholders)
  string(REGEX REPLACE "^@DOC_TABLE ([^ ]+) (.*)@$" "\\1" file "${placeholder}")
  string(REGEX REPLACE "^@DOC_TABLE ([^ ]+) (.*)@$" "\\2" cell "${placeholder}")
  doc_table("${file}" "${cell}" text keys)
  list(APPEND table_keys ${keys})
  list(APPEND tables "${placeholder}")
  string(REPLACE ";" "@SEMICOLON@" text "${text}")
  string(MAKE_C_IDENTIFIER "table_${file}_${cell}" name)
  set(${name} "${text}")
endforeach()

# An entry the page writes itself for a key the tables hold now is dropped: the
# table's text is the one kept.
foreach(key IN LISTS table_keys)
  string(REGEX REPLACE "\n\\*\\*${key}\\*\\*[^\n]*\n:   [^\n]*(\n    [^\n]*)*\n" "\n" page "${page}")
endforeach()

foreach(placeholder IN LISTS tables)
  string(REGEX REPLACE "^@DOC_TABLE ([^ ]+) (.*)@$" "\\1" file "${placeholder}")
  string(REGEX REPLACE "^@DOC_TABLE ([^ ]+) (.*)@$" "\\2" cell "${placeholder}")
  string(MAKE_C_IDENTIFIER "table_${file}_${cell}" name)
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
