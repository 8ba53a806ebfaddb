using System;
using System.IO;
using System.Text;
using Microsoft.ML.Data;
using MlNetMlp.Engine;

namespace MlNetMlp;

/// <summary>
/// The MLP part of a saved pipeline (<see cref="MlpModelOperations"/>): one <see cref="MlpPredictionTransformer"/>,
/// its column settings and its network, and the checks that the two describe each other when it is read.
/// <code>
///   bytes   field
///   8       "MLNMLPT1"
///   1       task (<see cref="MlpTask"/>)
///   1-5+n   features column name (BinaryWriter string: 7-bit length, UTF-8)
///   1       whether the features column is a vector
///   1       whether class names follow; then the class names (<see cref="ClassNames"/>)
///   8       int64 network length N
///   N       the network (<see cref="MlpModelSerializer"/>'s format, its own SHA-256 included)
/// </code>
/// </summary>
internal static class MlpPipelinePart
{
    private const string Magic = "MLNMLPT1";

    /// <summary>
    /// Writes <paramref name="transformer"/> to <paramref name="destination"/> front to back: the header, the network's
    /// length (<see cref="MlpModelSerializer.SavedLength"/>, known before it is written), then the network streamed
    /// by <see cref="MlpModelSerializer.Save(MlpModel, Stream)"/>. Nothing is buffered whole and nothing seeks back,
    /// so the destination may be a zip entry's write-only stream.
    /// </summary>
    public static void Write(MlpPredictionTransformer transformer, Stream destination)
    {
        MlpModel network = transformer.Model.Network;
        long networkLength = MlpModelSerializer.SavedLength(network);
        using (var writer = new BinaryWriter(destination, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Encoding.ASCII.GetBytes(Magic));
            writer.Write((byte)transformer.Model.Task);
            writer.Write(transformer.FeatureColumnName);
            writer.Write(transformer.FeatureColumnType is VectorDataViewType);
            ClassNames? names = transformer.Model.ClassNames;
            writer.Write(names is not null);
            names?.Write(writer);
            writer.Write(networkLength);
        }

        MlpModelSerializer.Save(network, destination);
    }

    /// <summary>Reads an MLP part from <paramref name="source"/> (its entry, <see cref="HashingReadStream.Length"/> bytes), checking the header against the network.</summary>
    public static MlpPredictionTransformer Read(HashingReadStream source)
    {
        try
        {
            using var reader = new BinaryReader(source, Encoding.UTF8, leaveOpen: true);
            if (Encoding.ASCII.GetString(reader.ReadBytes(Magic.Length)) != Magic)
            {
                throw new MlpModelFormatException("An MLP part of the pipeline file does not start with the MLP transformer header.");
            }

            byte taskCode = reader.ReadByte();
            if (!Enum.IsDefined((MlpTask)taskCode))
            {
                throw new MlpModelFormatException($"An MLP part names task code {taskCode}, which does not exist.");
            }

            var task = (MlpTask)taskCode;
            string featureColumn = reader.ReadString();
            bool isVector = reader.ReadBoolean();
            bool hasNames = reader.ReadBoolean();
            ClassNames? names = hasNames ? ClassNames.Read(reader, expectedCount: -1) : null;
            long modelLength = reader.ReadInt64();
            if (modelLength != source.Length - source.Position)
            {
                throw new MlpModelFormatException($"An MLP part's network length ({modelLength:N0}) does not match the {source.Length - source.Position:N0} bytes left in its entry.");
            }

            MlpModel network = MlpModelSerializer.Load(source, modelLength);

            // The header's task, class names and feature column must describe the network they come with.
            if (task != network.Task)
            {
                throw new MlpModelFormatException($"An MLP part says {task} but holds a {network.Task} network with {network.OutputCount} outputs. (Earlier versions wrote a two-class multiclass model with a binary network; retrain such a model.)");
            }

            if (names is not null && (!TaskColumns.For(task).KeepsClassNames || names.Count != network.ClassCount))
            {
                throw new MlpModelFormatException($"An MLP part for {task} lists {names.Count} class names; its network has {network.ClassCount} classes.");
            }

            if (!isVector && network.InputCount != 1)
            {
                throw new MlpModelFormatException("An MLP part reads a scalar features column but its network has several inputs.");
            }

            DataViewType featureType = isVector ? new VectorDataViewType(NumberDataViewType.Single, network.InputCount) : NumberDataViewType.Single;
            return new MlpPredictionTransformer(new MlpModelParameters(network, names), featureColumn, featureType);
        }
        catch (EndOfStreamException)
        {
            throw new MlpModelFormatException("An MLP part of the pipeline file is truncated.");
        }
    }
}
