#!/usr/bin/env bash
# The quick starts tested as a user runs them: packs MlNetMlp, MlNetMlp.Engine and MlNetMlp.Onnx into a temporary folder, then for
# each README that has a "## Quick start" C# block (the repository's README and each package's README) creates a
# fresh console app outside the repository that references the packages from that folder (plus Microsoft.ML from
# NuGet), pastes the block unchanged as Program.cs, runs it next to breast_cancer.csv and checks what it prints.
#
#   bash tests/quickstart.sh
#
# Prints "quickstart: N passed, N failed" last; exits non-zero when a quick start does not build, run or print
# what it should.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d)
# A version no earlier run used, so NuGet's global cache cannot hand back a stale package; removed from the cache
# again on exit.
version="0.1.0-quickstart.$(date +%s).$$"
cleanup() {
  rm -rf "$work"
  local cache="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
  rm -rf "$cache/mlnetmlp/$version" "$cache/mlnetmlp.engine/$version" "$cache/mlnetmlp.onnx/$version"
}
trap cleanup EXIT
passed=0 failed=0

for project in src/MlNetMlp.Engine src/MlNetMlp src/MlNetMlp.Onnx; do
  if ! dotnet pack "$project" -c Release -o "$work/packages" -p:Version="$version" --nologo >"$work/pack.log" 2>&1; then
    cat "$work/pack.log"
    echo "!! quickstart: dotnet pack $project failed"
    echo "quickstart: 0 passed, 1 failed"
    exit 1
  fi
done

# Extracts the first ```csharp block after the "## Quick start" heading of a Markdown file.
quick_start_block() {
  awk '/^## Quick start/ { section = 1; next }
       section && /^## / { exit }
       section && /^```csharp/ { inside = 1; next }
       inside && /^```/ { exit }
       inside { print }' "$1"
}

# check <README> <package> <expected output regex>
check() {
  local readme=$1 package=$2 expected=$3 name app
  name=$(echo "$readme" | tr '/.' '__')
  app="$work/$name"
  mkdir -p "$app"
  quick_start_block "$readme" >"$app/Program.cs"
  if [ ! -s "$app/Program.cs" ]; then
    echo "!! $readme has no C# block under '## Quick start'"
    failed=$((failed + 1))
    return
  fi
  # What `dotnet new console` writes, plus the package references the README's Install section names.
  cat >"$app/QuickStart.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="$package" Version="$version" />
  </ItemGroup>
</Project>
EOF
  cat >"$app/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="quickstart" value="$work/packages" />
  </packageSources>
</configuration>
EOF
  cp samples/data/breast_cancer.csv "$app/"
  local output
  if output=$(cd "$app" && dotnet run -c Release --nologo 2>&1) && grep -qE "$expected" <<<"$output"; then
    echo "quickstart $readme ($package): $(grep -E "$expected" <<<"$output" | head -n 1)"
    passed=$((passed + 1))
  else
    echo "$output"
    echo "!! quickstart $readme ($package) did not build, run or print a line matching '$expected'"
    failed=$((failed + 1))
  fi
}

check README.md MlNetMlp '^accuracy 0\.[0-9]{3}, AUC 0\.[0-9]{3}$'
check src/MlNetMlp/README.md MlNetMlp '^accuracy 0\.[0-9]{3}, AUC 0\.[0-9]{3}$'
check src/MlNetMlp.Engine/README.md MlNetMlp.Engine '^epochs [0-9]+, final loss [0-9.]+$'
check src/MlNetMlp.Onnx/README.md MlNetMlp.Onnx '^model\.onnx [0-9]+ bytes; first row P\(benign\) 0\.[0-9]{3}$'

echo "quickstart: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
