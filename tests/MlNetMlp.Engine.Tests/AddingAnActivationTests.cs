using System;
using System.Linq;
using System.Runtime.CompilerServices;
using MlNetMlp.Engine.Kernels;
using Xunit;

namespace MlNetMlp.Engine.Tests;

/// <summary>
/// docs/ARCHITECTURE.md's steps for adding an activation, done once here with a test-only one (softsign): one
/// <see cref="ActivationFunction"/> subclass, nothing else in the engine changed. The kernels fuse its derivative,
/// the backward pass matches central differences, and a network trains with it. (Registering it for users is the
/// enum value and the line in <see cref="ActivationFunction.For"/>, which a test project cannot add.)
/// </summary>
public class AddingAnActivationTests
{
    private static readonly HiddenActivation Softsign = new(new SoftsignActivation());

    private static double SoftsignOf(double x) => x / (1 + Math.Abs(x));

    [Fact]
    public void ItsFusedProductsEqualTheProductFollowedByItsSeparatePass() =>
        KernelOracleTests.CheckFusedProducts(Softsign, "softsign", 23);

    [Theory]
    [InlineData("binary")]
    [InlineData("multiclass")]
    [InlineData("regression")]
    public void ItsGradientMatchesCentralDifferences(string task) =>
        GradientCheckTests.CheckGradient(Softsign, p => (sizes, data, l2) => ReferenceMlp.Loss(p, sizes, SoftsignOf, data, l2), task, "softsign");

    [Fact]
    public void ANetworkTrainsWithIt()
    {
        MlpDataset data = Synthetic.Blobs(seed: 3, rows: 200, features: 4, classes: 2, separation: 3);
        var layout = new ParameterLayout([4, 16, data.OutputCount]);
        var random = new Random(1);
        float[] parameters = Enumerable.Range(0, (int)layout.Count).Select(_ => (float)((random.NextDouble() - 0.5) * 0.8)).ToArray();
        var backprop = new Backprop(layout, Softsign, capacity: 200, threads: 1);
        var adam = new AdamOptimizer(new AdamSolver { LearningRate = 0.02 }, (int)layout.Count);
        int[] rows = Enumerable.Range(0, data.RowCount).ToArray();
        var gradient = new float[layout.Count];
        double first = backprop.LossAndGradient(parameters, data, rows, 0, gradient);
        double last = first;
        for (int step = 0; step < 150; step++)
        {
            last = backprop.LossAndGradient(parameters, data, rows, 0, gradient);
            adam.Step(parameters, gradient);
        }

        float[] logits = backprop.Forward(parameters, data, rows).ToArray();
        int correct = rows.Count(r => (logits[r] > 0 ? 1 : 0) == data.Labels![r]);
        Assert.True(last < first / 3, $"log-loss {first:F4} -> {last:F4}");
        Assert.True(correct >= 190, $"{correct} of 200 training rows right");
    }

    /// <summary><c>f(x) = x / (1 + |x|)</c>; <c>f' = 1 / (1 + |x|)² = (1 - |z|)²</c>, written from the output z.</summary>
    private sealed unsafe class SoftsignActivation : ActivationFunction
    {
        public override (string? Operator, float? Alpha) Onnx => ("Softsign", null);

        public override void Forward(Span<float> values)
        {
            for (int i = 0; i < values.Length; i++)
            {
                values[i] /= 1f + MathF.Abs(values[i]);
            }
        }

        public override void Backward(ReadOnlySpan<float> output, Span<float> delta)
        {
            for (int i = 0; i < delta.Length; i++)
            {
                float t = 1f - MathF.Abs(output[i]);
                delta[i] *= t * t;
            }
        }

        public override void InputGradient(float* dout, nint ldDout, float* weightTransposed, nint ldWeightTransposed, float* z, nint ldZ, float* dinp, nint ldDinp, int rows, int n, int k) =>
            InputGradientWith(dout, ldDout, weightTransposed, ldWeightTransposed, z, ldZ, dinp, ldDinp, rows, n, k, default(Derivative));

        /// <summary><c>delta * (1 - |z|)²</c>, fused into the input gradient's stores.</summary>
        private readonly struct Derivative : IEpilogue
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public TVec Apply<TSimd, TVec>(TVec value, float* z)
                where TSimd : ISimd<TVec>
                where TVec : unmanaged
            {
                TVec zv = TSimd.Load(z);
                TVec t = TSimd.Subtract(TSimd.Broadcast(1f), TSimd.WhereNotPositive(zv, TSimd.Subtract(TSimd.Zero, zv), zv));
                return TSimd.Multiply(value, TSimd.Multiply(t, t));
            }
        }
    }
}
