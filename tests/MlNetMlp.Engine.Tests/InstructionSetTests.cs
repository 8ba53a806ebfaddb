using System;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MlNetMlp.Engine.Kernels;
using Xunit;
using Xunit.Abstractions;

namespace MlNetMlp.Engine.Tests;

/// <summary>
/// tests/run runs this suite three times: as the machine is, with <c>DOTNET_EnableAVX512=0</c> and with
/// <c>DOTNET_EnableAVX2=0</c>. This test says which kernel path ran and fails when a knob that was set did not take
/// effect, so a pass that silently re-tests the default path is noticed.
/// </summary>
public class InstructionSetTests
{
    private readonly ITestOutputHelper _output;

    public InstructionSetTests(ITestOutputHelper output) => _output = output;

    /// <summary>The widest vector path the kernels take on this process.</summary>
    internal static string VectorPath =>
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? "AVX-512 (Vector512, 16 lanes)"
        : Gemm.IsAccelerated ? "AVX2+FMA (Vector256, 8 lanes)"
        : Vector128.IsHardwareAccelerated ? "scalar products, Vector128 element-wise steps"
        : "scalar";

    [Fact]
    public void TheInstructionSetKnobsThatAreSetTakeEffect()
    {
        _output.WriteLine($"vector path: {VectorPath}");
        Console.WriteLine($"[instruction set] vector path: {VectorPath}");
        if (Environment.GetEnvironmentVariable("DOTNET_EnableAVX512") == "0")
        {
            Assert.False(Vector512.IsHardwareAccelerated, "DOTNET_EnableAVX512=0 is set but Vector512 is still accelerated");
            Assert.False(Avx512F.IsSupported, "DOTNET_EnableAVX512=0 is set but AVX-512F is still reported");
        }

        if (Environment.GetEnvironmentVariable("DOTNET_EnableAVX2") == "0")
        {
            Assert.False(Avx2.IsSupported, "DOTNET_EnableAVX2=0 is set but AVX2 is still reported");
            Assert.False(Gemm.IsAccelerated, "DOTNET_EnableAVX2=0 is set but the kernels still take the AVX2+FMA path");
        }
    }
}
