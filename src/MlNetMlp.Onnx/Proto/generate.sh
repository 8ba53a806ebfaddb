#!/usr/bin/env bash
# Regenerates Onnx.cs from onnx.proto3 (ONNX's schema, Apache-2.0, copied unchanged from onnx/onnx at commit
# f7546912001bc31e92a238b17068a21b373d882e, IR version 14). protoc comes from the Google.Protobuf.Tools NuGet package;
# internal_access keeps the generated message classes out of this assembly's public API.
set -euo pipefail
cd "$(dirname "$0")"
protoc="${PROTOC:-$HOME/.nuget/packages/google.protobuf.tools/3.36.2/tools/linux_x64/protoc}"
"$protoc" --proto_path=. --csharp_out=. --csharp_opt=internal_access onnx.proto3
