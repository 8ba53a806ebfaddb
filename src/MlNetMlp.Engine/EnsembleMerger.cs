using System;
using System.Linq;

namespace MlNetMlp.Engine;

/// <summary>
/// Several members trained with different seeds (different initial weights, batches and validation rows), merged
/// into one ordinary network whose output is the mean of the members' outputs (logits for classification,
/// predictions for regression): hidden layers side by side, block-diagonal between them, and the output layer's rows
/// of member k divided by the member count. A leading layer that is the same in every member (the fixed
/// piecewise-linear encoding layer) is kept once and shared. So an ensemble needs nothing new from the model format,
/// the predictor or exports. Averaging members is the simplest ensembling the TabM paper (Gorishniy et al. 2024)
/// compares against; it lowers the variance that a single network's seed adds to its scores on small data sets.
/// </summary>
internal static class EnsembleMerger
{
    /// <summary>The merged network; every member must have the same task, inputs, hidden layers and activation.</summary>
    public static MlpModel Merge(MlpModel[] members, MlpTrainingHistory history)
    {
        MlpModel first = members[0];
        int k = members.Length;
        int layers = first.LayerCount;
        if (layers == 1)
        {
            // No hidden layer: the mean of linear models is the linear model with the mean weights.
            var mean = new float[first.ParameterCount];
            for (int i = 0; i < mean.Length; i++)
            {
                double sum = 0;
                foreach (MlpModel m in members)
                {
                    sum += m.Parameters[i];
                }

                mean[i] = (float)(sum / k);
            }

            return new MlpModel(first.Task, first.InputCount, [], first.OutputCount, first.ClassCount, first.HiddenActivation, mean, history);
        }

        bool shared = members.All(m => m.Parameters.AsSpan(first.Layout.WeightOffset(0), SizeOfLayer(first, 0)).SequenceEqual(first.Parameters.AsSpan(first.Layout.WeightOffset(0), SizeOfLayer(first, 0))) &&
            m.Layout.Biases(m.Parameters.AsSpan(), 0).SequenceEqual(first.Layout.Biases(first.Parameters.AsSpan(), 0)));
        int[] memberHidden = [.. first.HiddenLayerSizes];
        int[] hidden = memberHidden.Select((h, i) => shared && i == 0 ? h : h * k).ToArray();
        int[] sizes = [first.InputCount, .. hidden, first.OutputCount];
        var layout = new ParameterLayout(sizes);
        var p = new float[layout.Count];
        for (int l = 0; l < layers; l++)
        {
            Span<float> weights = layout.Weights(p.AsSpan(), l);
            Span<float> biases = layout.Biases(p.AsSpan(), l);
            int width = sizes[l + 1];
            bool sharedInput = shared && l == 1;
            bool sharedLayer = shared && l == 0;
            bool output = l == layers - 1;
            for (int m = 0; m < k; m++)
            {
                MlpModel member = members[m];
                ReadOnlySpan<float> w = member.Layout.Weights(member.Parameters, l);
                ReadOnlySpan<float> b = member.Layout.Biases(member.Parameters, l);
                int rows = member.Layout.Sizes[l], columns = member.Layout.Sizes[l + 1];
                if (sharedLayer)
                {
                    w.CopyTo(weights);
                    b.CopyTo(biases);
                    break;
                }

                // Member m's block: its input rows (all of them when the input layer is shared or the network input),
                // its output columns (all of them for the output layer, which sums the members' contributions).
                int rowStart = l == 0 || sharedInput ? 0 : m * rows;
                int columnStart = output ? 0 : m * columns;
                float scale = output ? 1f / k : 1f;
                for (int i = 0; i < rows; i++)
                {
                    for (int j = 0; j < columns; j++)
                    {
                        weights[((rowStart + i) * width) + columnStart + j] += w[(i * columns) + j] * scale;
                    }
                }

                for (int j = 0; j < columns; j++)
                {
                    biases[columnStart + j] += output ? b[j] / k : b[j];
                }
            }
        }

        return new MlpModel(first.Task, first.InputCount, hidden, first.OutputCount, first.ClassCount, first.HiddenActivation, p, history);
    }

    private static int SizeOfLayer(MlpModel model, int layer) => model.Layout.Sizes[layer] * model.Layout.Sizes[layer + 1];
}
