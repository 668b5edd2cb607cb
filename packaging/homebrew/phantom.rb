# SPDX-License-Identifier: MIT
# Homebrew formula for the phantom client. scripts/release.sh fills in the tarball's URL and
# sha256 (placeholders between at signs) and writes the result next to the tarball; put that file in
# the team's tap (`brew tap-new`, then Formula/phantom.rb).
class Phantom < Formula
  desc "Run one command through your team's egress server over an SSH tunnel"
  homepage "@HOMEPAGE@"
  url "@URL@"
  sha256 "@SHA256@"
  license "MIT"

  depends_on "cmake" => :build
  depends_on "ninja" => :build
  depends_on "pkgconf" => :build
  depends_on "scdoc" => :build
  depends_on "autossh"
  depends_on "boost"
  depends_on "fmt"
  depends_on "libxcrypt" # phantom-admin's password hashes (crypt_gensalt_rn, crypt_r)
  depends_on "tomlplusplus"

  def install
    system "cmake", "-S", ".", "-B", "build", "-G", "Ninja", "-DPHANTOM_BUILD_TESTS=OFF", *std_cmake_args
    system "cmake", "--build", "build"
    # The client: bin/phantom, its bash/zsh/fish completions and phantom(1).
    system "cmake", "--install", "build", "--component", "client"
  end

  def caveats
    <<~EOS
      Set up with the invite from your team's admin:
        phantom init --invite -
      then run any command through the team server, e.g. `phantom claude`.
      To connect at every login: phantom connect --install-service
    EOS
  end

  test do
    assert_match version.to_s, shell_output("#{bin}/phantom --version")
    # HOME is testpath under `brew test`. Direct mode: no member password, so no Keychain.
    system "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", testpath/"host_key"
    host_key = (testpath/"host_key.pub").read.split[0, 2].join(" ")
    system bin/"phantom", "init", "--yes", "--mode", "direct", "--host", "vps.example.invalid",
           "--host-key", host_key
    assert_path_exists testpath/".phantom/config"
    # No server answers here: doctor finds that (exit 1) and still prints its findings.
    report = JSON.parse(shell_output("#{bin}/phantom doctor --json", 1))
    assert_equal false, report["ok"]
    assert_equal "ok", report["checks"].find { |c| c["check"] == "config" }["status"]
  end
end
