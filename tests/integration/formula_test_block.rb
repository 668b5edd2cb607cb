# SPDX-License-Identifier: MIT
# Runs the `test do` block of packaging/homebrew/phantom.rb against a local install, with
# the few Homebrew methods it uses written here (Homebrew itself does not run on Linux
# without its own prefix): what `brew test phantom` would run, not a copy of it.
#   ruby formula_test_block.rb FORMULA PREFIX VERSION
require "json"
require "open3"
require "pathname"
require "tmpdir"

formula_file, prefix, version = ARGV
Formula = Class.new do
  class << self
    attr_reader :test_block

    def test(&block)
      @test_block = block
    end

    # Declarations (desc, url, depends_on …) only describe the package.
    def method_missing(_name, *_args, **_kwargs, &_block); end

    def respond_to_missing?(*)
      true
    end
  end
end
load formula_file
klass = Object.const_get(:Phantom)

# The methods a formula's test block calls, as Homebrew defines them.
class TestContext
  def initialize(prefix, version, testpath)
    @prefix = Pathname(prefix)
    @version = version
    @testpath = Pathname(testpath)
  end

  attr_reader :testpath

  def bin
    @prefix / "bin"
  end

  def version
    @version
  end

  def system(*args)
    Kernel.system(*args.map(&:to_s)) || raise("failed: #{args.join(' ')}")
  end

  def shell_output(cmd, status = 0)
    out, st = Open3.capture2(cmd)
    raise "#{cmd}: exit #{st.exitstatus}, expected #{status}" unless st.exitstatus == status

    out
  end

  def pipe_output(cmd, input, status = 0)
    out, st = Open3.capture2(cmd, stdin_data: input)
    raise "#{cmd}: exit #{st.exitstatus}, expected #{status}" unless st.exitstatus == status

    out
  end

  def assert_match(pattern, text)
    raise "#{pattern.inspect} not in #{text.inspect}" unless text.match?(pattern.is_a?(String) ? Regexp.escape(pattern) : pattern)
  end

  def assert_equal(expected, actual)
    raise "expected #{expected.inspect}, got #{actual.inspect}" unless expected == actual
  end

  def assert_path_exists(path)
    raise "#{path} does not exist" unless File.exist?(path)
  end
end

raise "the formula has no test block" unless klass.test_block

Dir.mktmpdir do |dir|
  ENV["HOME"] = dir # as `brew test` sets it
  Dir.chdir(dir) do
    TestContext.new(prefix, version, dir).instance_exec(&klass.test_block)
  end
end
puts "test do: passed"
