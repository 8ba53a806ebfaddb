using System;
using System.Globalization;

namespace MlNetMlp.Engine;

/// <summary>
/// What a model may be, written once: the rules every <see cref="MlpModel"/> built from outside values must pass,
/// whether the values come from a caller (<see cref="MlpModel.FromParameters"/>) or from a file
/// (<see cref="MlpModelSerializer"/>). <see cref="Validate"/> checks the shape (task, activation and its parameters,
/// widths, outputs and classes, the parameter total) before any parameter exists, so the deserializer can reject a
/// forged shape before it allocates for it; <see cref="MlpModel.Create"/> then checks the parameters against it.
/// <para>
/// A violated rule throws <see cref="ArgumentOutOfRangeException"/> (a value out of range) or
/// <see cref="ArgumentException"/> (values that disagree) naming the argument; <see cref="RuleOf"/> gives the rule's
/// message without the argument suffix, which the deserializer puts in its <see cref="MlpModelFormatException"/>.
/// </para>
/// </summary>
internal sealed class MlpModelShape
{
    /// <summary>Key under which a rule's message (without the argument-name suffix) is kept in <see cref="Exception.Data"/>.</summary>
    private const string RuleKey = "MlNetMlp.Rule";

    private MlpModelShape(MlpTask task, int[] sizes, int classCount, HiddenActivation activation, long parameterCount)
    {
        Task = task;
        Sizes = sizes;
        ClassCount = classCount;
        Activation = activation;
        ParameterCount = parameterCount;
    }

    public MlpTask Task { get; }

    /// <summary>Widths from the input to the output.</summary>
    public int[] Sizes { get; }

    public int InputCount => Sizes[0];

    public int OutputCount => Sizes[^1];

    /// <summary>The hidden widths (a fresh copy).</summary>
    public int[] HiddenLayerSizes => Sizes[1..^1];

    /// <summary>The class count the task's head gives for the output count (0 for regression).</summary>
    public int ClassCount { get; }

    public HiddenActivation Activation { get; }

    /// <summary>Weights and biases of every layer; at most <see cref="ParameterLayout.MaxCount"/>.</summary>
    public long ParameterCount { get; }

    /// <summary>
    /// Checks a model's shape, in this order: the task, the activation, the leaky-relu slope, the ELU alpha, the
    /// input count, each hidden width, the output count for the task, the class count (when one is
    /// <paramref name="declaredClassCount"/>, it must be the one the head gives) and the parameter total.
    /// </summary>
    public static MlpModelShape Validate(MlpTask task, int inputCount, ReadOnlySpan<int> hiddenLayerSizes, int outputCount, Activation activation, float leakyReluSlope, float eluAlpha, int? declaredClassCount = null)
    {
        if (!Enum.IsDefined(task))
        {
            throw OutOfRange(nameof(task), task, $"The task is {(int)task}; known tasks are {Known<MlpTask>()}.");
        }

        if (!Enum.IsDefined(activation))
        {
            throw OutOfRange(nameof(activation), activation, $"The activation is {(int)activation}; known activations are {Known<Activation>()}.");
        }

        if (LeakyReluActivation.BrokenRule(leakyReluSlope) is string slopeRule)
        {
            throw OutOfRange(nameof(leakyReluSlope), leakyReluSlope, $"The leaky-relu slope is {leakyReluSlope}; it {slopeRule}.");
        }

        if (EluActivation.BrokenRule(eluAlpha) is string alphaRule)
        {
            throw OutOfRange(nameof(eluAlpha), eluAlpha, $"The ELU alpha is {eluAlpha}; it {alphaRule}.");
        }

        if (inputCount < 1)
        {
            throw OutOfRange(nameof(inputCount), inputCount, $"The input count is {inputCount}; it must be at least 1.");
        }

        for (int i = 0; i < hiddenLayerSizes.Length; i++)
        {
            if (hiddenLayerSizes[i] < 1 || hiddenLayerSizes[i] > MlpOptions.MaxLayerWidth)
            {
                throw OutOfRange(nameof(hiddenLayerSizes), hiddenLayerSizes[i], $"Hidden layer {i} has width {hiddenLayerSizes[i]}; widths must be between 1 and {MlpOptions.MaxLayerWidth}.");
            }
        }

        int classCount = OutputHead.For(task).ClassCountFor(outputCount);
        if (classCount < 0)
        {
            throw OutOfRange(nameof(outputCount), outputCount, $"A {task} model cannot have {outputCount} outputs ({OutputHead.AllowedOutputsOfEveryTask}).");
        }

        if (declaredClassCount is int declared && declared != classCount)
        {
            throw Disagree("classCount", $"The class count is {declared}; a {task} model with {outputCount} outputs has {classCount}.");
        }

        int[] sizes = [inputCount, .. hiddenLayerSizes, outputCount];

        // Each term is below 2^63 - 2^31 and the total is checked after each, so the sum cannot overflow.
        long total = 0;
        for (int l = 0; l + 1 < sizes.Length; l++)
        {
            total += ((long)sizes[l] * sizes[l + 1]) + sizes[l + 1];
            if (total > ParameterLayout.MaxCount)
            {
                throw OutOfRange(nameof(hiddenLayerSizes), null, $"Layers [{Describe(sizes)}] need more than {ParameterLayout.MaxCount:N0} parameters, more than any model can have.");
            }
        }

        return new MlpModelShape(task, sizes, classCount, new HiddenActivation(activation, leakyReluSlope, eluAlpha), total);
    }

    /// <summary>Checks that <paramref name="count"/> parameters are what this shape has (before they are read, for a file).</summary>
    public void CheckParameterCount(long count)
    {
        if (count != ParameterCount)
        {
            throw Disagree("parameters", $"The model declares {count:N0} parameters; layers [{Describe(Sizes)}] have {ParameterCount:N0}.");
        }
    }

    /// <summary>Checks the parameters themselves: as many as the shape has, every one finite.</summary>
    public void CheckParameters(ReadOnlySpan<float> parameters)
    {
        CheckParameterCount(parameters.Length);
        for (int i = 0; i < parameters.Length; i++)
        {
            if (!float.IsFinite(parameters[i]))
            {
                throw Disagree("parameters", $"Parameter {i} is {parameters[i]}; parameters must be finite.");
            }
        }
    }

    /// <summary>The message of the rule <paramref name="error"/> reports, without the argument name the exception appends.</summary>
    public static string RuleOf(ArgumentException error) => error.Data[RuleKey] as string ?? error.Message;

    /// <summary>Every value of an enum with its name, for messages: <c>0 (Relu), 1 (Tanh), ...</c>.</summary>
    public static string Known<T>()
        where T : struct, Enum => string.Join(", ", Array.ConvertAll(Enum.GetValues<T>(), v => $"{Convert.ToInt32(v, CultureInfo.InvariantCulture)} ({v})"));

    /// <summary>Layer widths for a message, shortened when a forged file claims thousands of layers.</summary>
    public static string Describe(int[] sizes) =>
        sizes.Length <= 12 ? string.Join(", ", sizes) : $"{string.Join(", ", sizes[..10])}, ... ({sizes.Length} widths)";

    private static ArgumentOutOfRangeException OutOfRange(string argument, object? value, string rule) => Tagged(new ArgumentOutOfRangeException(argument, value, rule), rule);

    private static ArgumentException Disagree(string argument, string rule) => Tagged(new ArgumentException(rule, argument), rule);

    private static T Tagged<T>(T error, string rule)
        where T : ArgumentException
    {
        error.Data[RuleKey] = rule;
        return error;
    }
}
