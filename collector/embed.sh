#!/bin/sh
# shellcheck disable=SC2016 # backquotes in the printf strings are Markdown in Swift comments
# Writes Sources/Autopsy/CollectorScript.swift from collector/netautopsy-collect.sh, so that the
# binary can print the collector (`netautopsy collector`). Run after editing the script
# (`make collector`); CollectorTests fails when the two differ.
set -eu
cd "$(dirname "$0")/.."
src=collector/netautopsy-collect.sh
dst=Sources/Autopsy/CollectorScript.swift
# The script goes into a raw string literal #"""…"""#: it must not contain the closing
# delimiter or a raw escape.
if grep -q '"""#' "$src" || grep -q '\\#' "$src"; then
	echo "embed.sh: $src contains \"\"\"# or \\# and cannot be embedded as a raw string" >&2
	exit 1
fi
version=$(sed -n 's/^NA_VERSION=//p' "$src")
{
	printf '// Generated from %s by collector/embed.sh (`make collector`): do not edit.\n' "$src"
	printf '// CollectorTests checks that it matches the script byte for byte.\n\n'
	printf '/// The node-side collector script, as `netautopsy collector` prints it.\n'
	printf 'public enum CollectorScript {\n'
	printf '    /// The version the script reports with `--version` and writes into manifest.json.\n'
	printf '    public static let version = "%s"\n\n' "$version"
	printf '    /// The script, byte for byte.\n'
	printf '    public static let text = #"""\n'
	cat "$src"
	printf '"""# + "\\n"\n}\n'
} >"$dst.tmp"
mv "$dst.tmp" "$dst"
echo "wrote $dst" >&2
