using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using MlNetMlp.Engine;
using Xunit;

namespace MlNetMlp.Engine.Tests;

/// <summary>
/// Training from scikit-learn's initial weights with shuffling off reproduces its loss curve. The fixtures come
/// from Fixtures/generate_fixtures.py (scikit-learn 1.2.1, float64).
/// </summary>
public class SklearnParityTests
{
    public static IEnumerable<object[]> StochasticCases() =>
        Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Fixtures"), "*.json")
            .Select(Path.GetFileNameWithoutExtension)
            .Where(n => !n!.StartsWith("lbfgs", StringComparison.Ordinal))
            .Select(n => new object[] { n! });

    public static IEnumerable<object[]> LbfgsCases() =>
        Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Fixtures"), "lbfgs*.json")
            .Select(Path.GetFileNameWithoutExtension)
            .Select(n => new object[] { n! });

    [Theory]
    [MemberData(nameof(StochasticCases))]
    public void LossCurveMatchesScikitLearn(string name)
    {
        var fixture = Fixture.Load(name);
        MlpModel model = fixture.Train();
        double[] expected = fixture.LossCurve;
        Assert.True(expected.Length >= 10);
        Assert.Equal(expected.Length, model.LossCurve.Count);

        // scikit-learn reports multi-output squared error as a mean over rows and outputs; we sum over outputs,
        // which is the loss its gradient actually descends. The curves differ by the number of outputs exactly.
        double scale = fixture.Task == "regression" ? fixture.OutputCount : 1;
        for (int epoch = 0; epoch < expected.Length; epoch++)
        {
            double relative = Math.Abs((model.LossCurve[epoch] / scale) - expected[epoch]) / Math.Abs(expected[epoch]);
            Assert.True(relative < 1e-4, $"{name} epoch {epoch + 1}: ours {model.LossCurve[epoch] / scale:R}, scikit-learn {expected[epoch]:R}, relative difference {relative:E2}");
        }

        Assert.Equal(fixture.Iterations, model.EpochsRun);

        // The weights each path ends at: scikit-learn's coefs_/intercepts_ after the same epochs, layer by layer.
        // Float32 against float64 drifts by rounding alone (at most 6.4e-7 of the layer's largest weight over these
        // fixtures); each element must be within FinalWeightTolerance of scikit-learn's, scaled likewise.
        for (int layer = 0; layer < fixture.FinalWeights.Length; layer++)
        {
            double[] expectedWeights = fixture.FinalWeights[layer], expectedBiases = fixture.FinalBiases[layer];
            float[] weights = model.GetWeights(layer).Cast<float>().ToArray(), biases = model.GetBiases(layer);
            Assert.Equal(expectedWeights.Length, weights.Length);
            Assert.Equal(expectedBiases.Length, biases.Length);
            double scaleW = expectedWeights.Max(Math.Abs), scaleB = Math.Max(expectedBiases.Max(Math.Abs), scaleW);
            double worst = 0;
            for (int i = 0; i < weights.Length; i++)
            {
                worst = Math.Max(worst, Math.Abs(weights[i] - expectedWeights[i]) / scaleW);
            }

            for (int i = 0; i < biases.Length; i++)
            {
                worst = Math.Max(worst, Math.Abs(biases[i] - expectedBiases[i]) / scaleB);
            }

            Assert.True(worst < FinalWeightTolerance, $"{name} layer {layer}: largest weight difference {worst:E2} of the layer's largest weight");
        }
    }

    /// <summary>Largest difference allowed between our final weights and scikit-learn's, relative to the layer's largest weight.</summary>
    private const double FinalWeightTolerance = 1e-5;

    [Theory]
    [MemberData(nameof(LbfgsCases))]
    public void LbfgsEndsAtScikitLearnsLoss(string name)
    {
        var fixture = Fixture.Load(name);
        MlpModel model = fixture.Train();
        double ours = model.History.FinalLoss;
        double difference = Math.Abs(ours - fixture.FinalLoss);
        Assert.True(difference <= 1e-3, $"{name}: ours {ours:R} after {model.EpochsRun} iterations ({model.History.StopReason}), scikit-learn {fixture.FinalLoss:R} after {fixture.Iterations}");
    }

    /// <summary>One fixture file: data, options and scikit-learn's results.</summary>
    private sealed class Fixture
    {
        private JsonElement _root;

        public string Task => _root.GetProperty("task").GetString()!;

        public int OutputCount => _root.GetProperty("n_outputs").GetInt32();

        public double[] LossCurve => _root.GetProperty("loss_curve").EnumerateArray().Select(e => e.GetDouble()).ToArray();

        public double FinalLoss => _root.GetProperty("final_loss").GetDouble();

        public int Iterations => _root.GetProperty("n_iter").GetInt32();

        /// <summary>scikit-learn's final <c>coefs_</c>, one (fan_in x fan_out) row-major array per layer.</summary>
        public double[][] FinalWeights => _root.GetProperty("coefs_final").EnumerateArray()
            .Select(m => m.EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetDouble())).ToArray()).ToArray();

        /// <summary>scikit-learn's final <c>intercepts_</c>, one array per layer.</summary>
        public double[][] FinalBiases => _root.GetProperty("intercepts_final").EnumerateArray()
            .Select(b => b.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();

        public static Fixture Load(string name)
        {
            string json = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", name + ".json"));
            return new Fixture { _root = JsonDocument.Parse(json).RootElement.Clone() };
        }

        public MlpModel Train()
        {
            int n = _root.GetProperty("n_samples").GetInt32();
            int d = _root.GetProperty("n_features").GetInt32();
            float[] x = _root.GetProperty("X").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => (float)v.GetDouble())).ToArray();
            Assert.Equal(n * d, x.Length);
            MlpDataset data = Task == "regression"
                ? MlpDataset.ForRegression(x, d, _root.GetProperty("y").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => (float)v.GetDouble())).ToArray(), OutputCount)
                : MlpDataset.ForClassification(x, d, _root.GetProperty("y").EnumerateArray().Select(v => v.GetInt32()).ToArray(), Task == "binary" ? 2 : OutputCount);

            int[] hidden = _root.GetProperty("hidden_layer_sizes").EnumerateArray().Select(v => v.GetInt32()).ToArray();
            Activation activation = _root.GetProperty("activation").GetString() switch
            {
                "identity" => Activation.Identity,
                "logistic" => Activation.Logistic,
                "tanh" => Activation.Tanh,
                _ => Activation.Relu,
            };
            string solverName = _root.GetProperty("solver").GetString()!;
            MlpSolver solver = solverName switch
            {
                "adam" => new AdamSolver
                {
                    LearningRate = _root.GetProperty("learning_rate_init").GetDouble(),
                    Beta1 = _root.GetProperty("beta_1").GetDouble(),
                    Beta2 = _root.GetProperty("beta_2").GetDouble(),
                    Epsilon = _root.GetProperty("epsilon").GetDouble(),
                },
                "sgd" => new SgdSolver
                {
                    LearningRate = _root.GetProperty("learning_rate_init").GetDouble(),
                    Momentum = _root.GetProperty("momentum").GetDouble(),
                    Nesterov = _root.GetProperty("nesterovs_momentum").GetBoolean(),
                    InverseScalingExponent = _root.GetProperty("power_t").GetDouble(),
                    Schedule = _root.GetProperty("learning_rate").GetString() switch
                    {
                        "invscaling" => LearningRateSchedule.InverseScaling,
                        "adaptive" => LearningRateSchedule.Adaptive,
                        _ => LearningRateSchedule.Constant,
                    },
                },
                _ => new LbfgsSolver { MaxFunctionEvaluations = _root.GetProperty("max_fun").GetInt32() },
            };
            int maxIter = _root.GetProperty("max_iter").GetInt32();
            var options = new MlpOptions
            {
                HiddenLayerSizes = hidden,
                Activation = activation,
                Solver = solver,
                L2Regularization = _root.GetProperty("alpha").GetDouble(),
                BatchSize = _root.GetProperty("batch_size").GetInt32(),
                MaxEpochs = maxIter,
                Shuffle = false,
                OptimizationTolerance = _root.GetProperty("tol").GetDouble(),
                EpochsWithoutImprovement = solverName == "lbfgs" ? 10 : maxIter + 1,
                Seed = 0,
            };

            float[] coefs = _root.GetProperty("coefs_init").EnumerateArray()
                .SelectMany(m => m.EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => (float)v.GetDouble()))).ToArray();
            float[] intercepts = _root.GetProperty("intercepts_init").EnumerateArray()
                .SelectMany(b => b.EnumerateArray().Select(v => (float)v.GetDouble())).ToArray();
            MlpModel initial = MlpModel.FromParameters(data.Task, d, hidden, data.OutputCount, activation, [.. coefs, .. intercepts]);
            return new MlpTrainer(options).Fit(data, initial);
        }
    }
}
