# SPDX-License-Identifier: MIT
# What `cmake --install` puts where, in two components, and the two .deb packages CPack makes
# of them (`cpack -G DEB`): "client" (phantom, its completions and man page) for members,
# "admin" (phantom-admin, the server's files and entrypoint, its man page) for the server.
# The binaries' rules are in src/CMakeLists.txt, the man pages' in cmake/Man.cmake.
include(GNUInstallDirs)

set(_completions ${PROJECT_SOURCE_DIR}/packaging/completions)
install(FILES ${_completions}/phantom.bash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME phantom COMPONENT client)
install(FILES ${_completions}/_phantom DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/site-functions COMPONENT client)
install(FILES ${_completions}/phantom.fish DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d
        COMPONENT client)

# The server as on a bare host (server/README.md): phantom-admin reads its templates from
# /usr/share/phantom (PHANTOM_TEMPLATE_DIR), the entrypoint starts one service each.
install(FILES ${PROJECT_SOURCE_DIR}/server/danted.conf ${PROJECT_SOURCE_DIR}/server/sshd_config
        DESTINATION ${CMAKE_INSTALL_DATADIR}/phantom COMPONENT admin)
install(FILES ${PROJECT_SOURCE_DIR}/server/pam.d/phantom DESTINATION ${CMAKE_INSTALL_DATADIR}/phantom/pam.d
        COMPONENT admin)
install(PROGRAMS ${PROJECT_SOURCE_DIR}/server/entrypoint.sh DESTINATION ${CMAKE_INSTALL_SBINDIR}
        RENAME phantom-entrypoint COMPONENT admin)
install(FILES ${PROJECT_SOURCE_DIR}/server/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR}-admin COMPONENT admin)

set(CPACK_PACKAGE_NAME phantom)
set(CPACK_PACKAGE_VENDOR "phantom")
set(CPACK_PACKAGE_CONTACT "phantom maintainers <phantom@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "run one command through the team's egress server over SSH")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING IGNORE) # one package per component
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON) # libc, libcrypt: whatever the binaries link
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_CLIENT_PACKAGE_NAME phantom)
set(CPACK_DEBIAN_CLIENT_PACKAGE_DEPENDS "openssh-client")
set(CPACK_DEBIAN_CLIENT_PACKAGE_RECOMMENDS "autossh")
set(CPACK_COMPONENT_CLIENT_DESCRIPTION
    "phantom CMD runs one command with its traffic leaving from the team server through an SSH tunnel.")
set(CPACK_DEBIAN_ADMIN_PACKAGE_NAME phantom-admin)
set(CPACK_DEBIAN_ADMIN_PACKAGE_DEPENDS "dante-server, openssh-server, libpam-pwdfile, iptables")
set(CPACK_COMPONENT_ADMIN_DESCRIPTION
    "phantom-admin manages the team server: members, invites, Dante and sshd configuration, the egress limit.")
set(CPACK_COMPONENTS_ALL client admin)
include(CPack)
