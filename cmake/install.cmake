# SPDX-License-Identifier: Apache-2.0
# Installing tsync (cmake --install) and packaging it as a .deb (cpack -G DEB,
# or scripts/package.sh), in the GNUInstallDirs places:
#   bin/tsync, bin/tsync-mock-api
#   share/man/man1/tsync.1.gz, tsync-mock-api.1.gz   built from docs/man/*.1.md by go-md2man
#   share/bash-completion/completions/tsync
#   share/doc/tsync/examples/configuration.json
#   share/doc/tsync/copyright                 scripts/debian/copyright (Debian's format)
#   share/doc/tsync/changelog.gz              CHANGELOG.md in Debian's changelog format
#   lib/systemd/system/tsync.{service,timer}   /lib/systemd/system for the prefix /usr
include(GNUInstallDirs)

install(TARGETS tsync tsync-mock-api RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${CMAKE_SOURCE_DIR}/configuration.json
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES ${CMAKE_SOURCE_DIR}/scripts/bash-completion/tsync
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(FILES ${CMAKE_SOURCE_DIR}/scripts/debian/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The package's maintainer, in one place: the Maintainer field and the signature
# of each entry of the Debian changelog.
set(TSYNC_MAINTAINER "tsync developers <tsync@users.noreply.github.com>" CACHE STRING
    "The Debian package's maintainer, as \"Name <address>\"")

# Debian installs manual pages and changelogs compressed with gzip -9n.
find_program(TSYNC_GZIP gzip)

# The changelog: CHANGELOG.md, whose newest release must be PROJECT_VERSION, in
# Debian's changelog format. The package is native (its version is tsync's own),
# so Debian's name for it is changelog.gz.
if(TSYNC_GZIP)
  set(TSYNC_CHANGELOG_FILE ${CMAKE_BINARY_DIR}/debian/changelog.gz)
  add_custom_command(
    OUTPUT ${TSYNC_CHANGELOG_FILE}
    COMMAND ${CMAKE_COMMAND} -DSOURCE=${CMAKE_SOURCE_DIR}/CHANGELOG.md
            -DPACKAGE=${PROJECT_NAME} -DVERSION=${PROJECT_VERSION}
            "-DMAINTAINER=${TSYNC_MAINTAINER}" -DGZIP=${TSYNC_GZIP}
            -DOUTPUT=${TSYNC_CHANGELOG_FILE} -P ${CMAKE_SOURCE_DIR}/scripts/debian/changelog.cmake
    DEPENDS ${CMAKE_SOURCE_DIR}/CHANGELOG.md ${CMAKE_SOURCE_DIR}/scripts/debian/changelog.cmake
    COMMENT "Building the Debian changelog from CHANGELOG.md"
    VERBATIM)
  file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/debian)
  add_custom_target(tsync_changelog ALL DEPENDS ${TSYNC_CHANGELOG_FILE})
  install(FILES ${TSYNC_CHANGELOG_FILE} DESTINATION ${CMAKE_INSTALL_DOCDIR})
else()
  message(WARNING "gzip not found: neither the changelog nor the manual pages are built")
endif()

# The manual pages, each written once in docs/man/<name>.1.md; they take tables
# from the other pages of docs/ (cmake/man_page.cmake).
option(TSYNC_MAN_PAGE "Build and install the manual pages (needs go-md2man)" ON)
if(TSYNC_MAN_PAGE)
  find_program(TSYNC_GO_MD2MAN go-md2man)
  if(TSYNC_GO_MD2MAN AND TSYNC_GZIP)
    file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/man)
    file(GLOB TSYNC_DOC_PAGES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/*.md)
    foreach(name IN ITEMS tsync tsync-mock-api)
      set(page ${CMAKE_BINARY_DIR}/man/${name}.1.gz)
      add_custom_command(
        OUTPUT ${page}
        COMMAND ${CMAKE_COMMAND} -DSOURCE=${CMAKE_SOURCE_DIR}/docs/man/${name}.1.md
                -DSOURCE_DIR=${CMAKE_SOURCE_DIR} -DVERSION=${PROJECT_VERSION}
                -DGO_MD2MAN=${TSYNC_GO_MD2MAN} -DGZIP=${TSYNC_GZIP}
                -DOUTPUT=${page} -P ${CMAKE_SOURCE_DIR}/cmake/man_page.cmake
        DEPENDS ${CMAKE_SOURCE_DIR}/docs/man/${name}.1.md ${TSYNC_DOC_PAGES}
                ${CMAKE_SOURCE_DIR}/cmake/man_page.cmake
        COMMENT "Building the manual page from docs/man/${name}.1.md"
        VERBATIM)
      string(MAKE_C_IDENTIFIER "${name}_man_page" target)
      add_custom_target(${target} ALL DEPENDS ${page})
      install(FILES ${page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
    endforeach()
    set(TSYNC_MAN_PAGE_FILE ${CMAKE_BINARY_DIR}/man/tsync.1.gz)
    set(TSYNC_MOCK_MAN_PAGE_FILE ${CMAKE_BINARY_DIR}/man/tsync-mock-api.1.gz)
  else()
    message(WARNING "go-md2man or gzip not found: the manual pages are neither built nor "
                    "installed (scripts/install-deps.sh installs go-md2man)")
  endif()
endif()

# The systemd units, with ExecStart naming the installed binary. Where they go
# and that name are settled at install time, so that --prefix and the package's
# prefix are honoured: /lib/systemd/system for the prefix /usr (Debian's place),
# else lib/systemd/system under the prefix (which systemd also reads for
# /usr/local), unless TSYNC_SYSTEMD_UNIT_DIR names a folder.
set(TSYNC_SYSTEMD_UNIT_DIR "" CACHE PATH
    "Where to install the systemd units (empty: /lib/systemd/system for the prefix /usr, else <prefix>/lib/systemd/system)")
install(CODE "
  set(unit_dir \"${TSYNC_SYSTEMD_UNIT_DIR}\")
  if(NOT unit_dir)
    if(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\")
      set(unit_dir /lib/systemd/system)
    else()
      set(unit_dir \"\${CMAKE_INSTALL_PREFIX}/lib/systemd/system\")
    endif()
  endif()
  file(READ \"${CMAKE_SOURCE_DIR}/scripts/systemd/tsync.service\" unit)
  string(REPLACE \"ExecStart=/usr/bin/tsync \"
         \"ExecStart=\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/tsync \" unit \"\${unit}\")
  file(WRITE \"${CMAKE_BINARY_DIR}/systemd/tsync.service\" \"\${unit}\")
  file(INSTALL \"${CMAKE_BINARY_DIR}/systemd/tsync.service\"
               \"${CMAKE_SOURCE_DIR}/scripts/systemd/tsync.timer\"
       DESTINATION \"\${unit_dir}\"
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
")

# The Debian package: tsync_<version>_<arch>.deb.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME tsync)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${TSYNC_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${TSYNC_MAINTAINER}")
# The package installs under /usr whatever prefix the build was configured with.
# cpack installs with DESTDIR, so that the units' absolute folder lands in the
# package and install(CODE) sees the package's prefix, /usr.
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_SET_DESTDIR ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends is computed from the binaries by dpkg-shlibdeps (libcurl4, libsqlite3-0, ...).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "sqlite3, bash-completion")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
"keep a local SQLite replica of a timestamp-filtered REST API
tsync asks a REST API for every record updated since its saved cursor
(GET <url>?since=<cursor>), upserts the records into a local SQLite file, and
saves the new cursor in the same transaction. A crash, a kill, a dropped
connection, a bad record or a full disk at any moment leaves the replica at its
last commit, and the next run carries on from there. Query the replica with the
sqlite3 shell while a sync writes.
.
The package holds tsync, its manual page and bash completion, tsync-mock-api (a
local API of generated users to try it with) and its manual page, a sample
configuration, and systemd units for a sandboxed sync every night, installed
disabled.")
# systemd reads the units after an install; removing the package disables the
# units an administrator enabled. No postrm: dpkg keeps a removed package that
# has one in its database (state config-files) until it is purged.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/scripts/debian/postinst ${CMAKE_SOURCE_DIR}/scripts/debian/prerm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)

if(TSYNC_TESTS)
  # The manual pages document every option and configuration key (quick).
  add_test(NAME man_page
           COMMAND bash ${CMAKE_SOURCE_DIR}/scripts/check-man-page.sh $<TARGET_FILE:tsync>
                   "$<$<BOOL:${TSYNC_MAN_PAGE_FILE}>:${TSYNC_MAN_PAGE_FILE}>"
                   $<TARGET_FILE:tsync-mock-api>
                   "$<$<BOOL:${TSYNC_MOCK_MAN_PAGE_FILE}>:${TSYNC_MOCK_MAN_PAGE_FILE}>")
  # Builds the .deb, installs it into this machine, checks what it installed and
  # removes it again. Only as root with apt-get and dpkg; else skipped.
  add_test(NAME package_install
           COMMAND bash ${CMAKE_SOURCE_DIR}/scripts/package-test.sh ${CMAKE_BINARY_DIR}/package)
  set_tests_properties(man_page PROPERTIES SKIP_RETURN_CODE 77)
  set_tests_properties(package_install PROPERTIES TIMEOUT 900 SKIP_RETURN_CODE 77
                       RUN_SERIAL TRUE)
endif()
