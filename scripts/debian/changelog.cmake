# SPDX-License-Identifier: Apache-2.0
# Writes the Debian changelog of the package from CHANGELOG.md, at build time:
#   cmake -DSOURCE=CHANGELOG.md -DPACKAGE=tsync -DVERSION=x.y.z
#         "-DMAINTAINER=Name <address>" -DGZIP=... -DOUTPUT=debian/changelog.gz
#         -P changelog.cmake
# CHANGELOG.md is in Keep a Changelog's form: a section "## [x.y.z] - YYYY-MM-DD"
# per release, newest first, with "### Added" (Changed, Fixed, ...) and a list
# under each. Every release becomes one entry of Debian's changelog(5) format:
#   tsync (x.y.z) unstable; urgency=medium
#
#     * Added:
#       - <item, wrapped at 79 columns>
#
#    -- Name <address>  Sat, 05 Dec 2026 00:00:00 +0000
# The "## [Unreleased]" section is left out. Fails when the newest release is not
# VERSION (CMakeLists.txt's project(VERSION)): the version lives in one place.
cmake_minimum_required(VERSION 3.20)

file(READ "${SOURCE}" text)
# ';' separates CMake list items and '[' ']' group them: keep all three out of
# the way while the text is handled as a list of lines.
string(REPLACE ";" "@SEMICOLON@" text "${text}")
string(REPLACE "[" "@LEFT@" text "${text}")
string(REPLACE "]" "@RIGHT@" text "${text}")
string(REPLACE "\n" ";" lines "${text}")

function(restore var)
  set(value "${${var}}")
  string(REPLACE "@SEMICOLON@" ";" value "${value}")
  string(REPLACE "@LEFT@" "[" value "${value}")
  string(REPLACE "@RIGHT@" "]" value "${value}")
  set(${var} "${value}" PARENT_SCOPE)
endfunction()

# wrap(<out> <first prefix> <next prefix> <text>): the words of <text> in lines of
# at most 79 columns, the first after <first prefix>, the others after <next prefix>.
function(wrap out first next words)
  string(REGEX REPLACE "[ \t]+" ";" words "${words}")
  set(result "")
  set(line "${first}")
  set(line_has_word FALSE)
  foreach(word IN LISTS words)
    if(word STREQUAL "")
      continue()
    endif()
    # A placeholder of restore() stands for one character.
    string(REGEX REPLACE "@(SEMICOLON|LEFT|RIGHT)@" "x" visible "${line} ${word}")
    string(LENGTH "${visible}" length)
    if(line_has_word AND length GREATER 79)
      string(APPEND result "${line}\n")
      set(line "${next}${word}")
    elseif(line_has_word)
      string(APPEND line " ${word}")
    else()
      string(APPEND line "${word}")
    endif()
    set(line_has_word TRUE)
  endforeach()
  string(APPEND result "${line}\n")
  set(${out} "${result}" PARENT_SCOPE)
endfunction()

# Markdown that reads as noise in plain text: `code`, **bold**, [text](link).
function(plain out value)
  string(REPLACE "`" "" value "${value}")
  string(REPLACE "**" "" value "${value}")
  string(REGEX REPLACE "@LEFT@([^@]*)@RIGHT@\\([^)]*\\)" "\\1" value "${value}")
  set(${out} "${value}" PARENT_SCOPE)
endfunction()

# The day of the week of a date (Sakamoto's method), as RFC 5322 writes it.
function(rfc5322_date out date)
  if(NOT date MATCHES "^([0-9][0-9][0-9][0-9])-([0-9][0-9])-([0-9][0-9])$")
    message(FATAL_ERROR "${SOURCE}: \"${date}\" is not a date YYYY-MM-DD")
  endif()
  set(year "${CMAKE_MATCH_1}")
  set(month "${CMAKE_MATCH_2}")
  set(day_text "${CMAKE_MATCH_3}")
  # Leading zeros: math() would read 08 as octal.
  string(REGEX REPLACE "^0" "" month "${month}")
  string(REGEX REPLACE "^0" "" day "${day_text}")
  if(month LESS 1 OR month GREATER 12 OR day LESS 1 OR day GREATER 31)
    message(FATAL_ERROR "${SOURCE}: \"${date}\" is not a date YYYY-MM-DD")
  endif()
  set(offsets 0 3 2 5 0 3 5 1 4 6 2 4)
  math(EXPR index "${month} - 1")
  list(GET offsets ${index} offset)
  set(y ${year})
  if(month LESS 3)
    math(EXPR y "${y} - 1")
  endif()
  math(EXPR weekday "(${y} + ${y} / 4 - ${y} / 100 + ${y} / 400 + ${offset} + ${day}) % 7")
  set(days Sun Mon Tue Wed Thu Fri Sat)
  set(months Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec)
  list(GET days ${weekday} day_name)
  list(GET months ${index} month_name)
  set(${out} "${day_name}, ${day_text} ${month_name} ${year} 00:00:00 +0000" PARENT_SCOPE)
endfunction()

set(changelog "")
set(entry "")       # the entry being written
set(state before)   # before, skip (Unreleased), release
set(item "")        # the list item being read
set(category "")
set(releases "")

# Ends the item being read: appends it, wrapped, to the entry.
macro(flush_item)
  if(NOT item STREQUAL "")
    plain(item "${item}")
    if(category STREQUAL "")
      wrap(wrapped "  * " "    " "${item}")
    else()
      wrap(wrapped "    - " "      " "${item}")
    endif()
    restore(wrapped)
    string(APPEND entry "${wrapped}")
    set(item "")
  endif()
endmacro()

macro(flush_entry)
  flush_item()
  if(state STREQUAL release)
    if(entry STREQUAL "")
      message(FATAL_ERROR "${SOURCE}: the release ${release_version} lists no change")
    endif()
    string(APPEND changelog "${PACKAGE} (${release_version}) unstable; urgency=medium\n\n")
    string(APPEND changelog "${entry}\n -- ${MAINTAINER}  ${release_date}\n\n")
  endif()
  set(entry "")
  set(category "")
endmacro()

foreach(line IN LISTS lines)
  if(line MATCHES "^## ")
    flush_entry()
    if(line MATCHES "^## @LEFT@Unreleased@RIGHT@")
      set(state skip)
    elseif(line MATCHES "^## @LEFT@([0-9][0-9A-Za-z.+~-]*)@RIGHT@ - ([0-9-]+)$")
      set(state release)
      set(release_version "${CMAKE_MATCH_1}")
      rfc5322_date(release_date "${CMAKE_MATCH_2}")
      list(APPEND releases "${release_version}")
    else()
      restore(line)
      message(FATAL_ERROR "${SOURCE}: \"${line}\" is not \"## [x.y.z] - YYYY-MM-DD\" "
                          "nor \"## [Unreleased]\"")
    endif()
    continue()
  endif()
  if(NOT state STREQUAL release)
    continue()
  endif()
  if(line MATCHES "^### +(.*[^ ])")
    flush_item()
    set(category "${CMAKE_MATCH_1}")
    string(APPEND entry "  * ${category}:\n")
  elseif(line MATCHES "^@LEFT@[^@]*@RIGHT@: ")
    # A link reference of the release headings.
  elseif(line MATCHES "^[-*] +(.*)")
    flush_item()
    set(item "${CMAKE_MATCH_1}")
  elseif(line MATCHES "^[ \t]*$")
    flush_item()
  else()
    string(STRIP "${line}" line)
    string(APPEND item " ${line}")
  endif()
endforeach()
flush_entry()

if(NOT releases)
  message(FATAL_ERROR "${SOURCE}: no release \"## [x.y.z] - YYYY-MM-DD\"")
endif()
list(GET releases 0 newest)
if(NOT newest STREQUAL VERSION)
  message(FATAL_ERROR "${SOURCE}: its newest release is ${newest}, but project(VERSION) in "
                      "CMakeLists.txt is ${VERSION}: add a section \"## [${VERSION}] - "
                      "YYYY-MM-DD\" above the others")
endif()

get_filename_component(dir "${OUTPUT}" DIRECTORY)
set(plain_file "${dir}/changelog")
string(REGEX REPLACE "\n+$" "\n" changelog "${changelog}")
file(WRITE "${plain_file}" "${changelog}")
# -n leaves the time out, for reproducible packages.
execute_process(COMMAND "${GZIP}" -9nf "${plain_file}" RESULT_VARIABLE failed)
if(failed)
  message(FATAL_ERROR "gzip could not compress ${plain_file}")
endif()
