using System;
using System.Diagnostics;
using System.Linq;
using System.Threading;

namespace MlNetMlp.Engine;

/// <summary>
/// Trains multilayer perceptrons: scikit-learn's <c>MLPClassifier</c>/<c>MLPRegressor</c> fitting, in float32.
/// The options are validated and copied when the trainer is created, so one trainer can fit many data sets.
/// </summary>
public sealed class MlpTrainer
{
    private readonly MlpOptions _options;

    /// <summary>Creates a trainer; throws <see cref="ArgumentException"/> naming any invalid option.</summary>
    public MlpTrainer(MlpOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options.Clone();
    }

    /// <summary>A copy of the options this trainer uses.</summary>
    public MlpOptions Options => _options.Clone();

    /// <summary>
    /// Fits a model. With <paramref name="initialModel"/> training continues from its weights and history
    /// (scikit-learn's <c>warm_start</c>) with a fresh optimizer; the initial model itself is not changed.
    /// </summary>
    /// <param name="data">The training rows.</param>
    /// <param name="initialModel">Optional model to continue from; it must have the shape these options and data define.</param>
    /// <param name="progress">Optional callback after each epoch; it runs on the training thread.</param>
    /// <param name="cancellationToken">Checked before every mini-batch (L-BFGS: every iteration).</param>
    /// <exception cref="MlpDivergenceException">The loss or the weights became NaN or infinite.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; nothing is changed.</exception>
    public MlpModel Fit(MlpDataset data, MlpModel? initialModel = null, Action<MlpEpochReport>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckBothClassesPresent(data);
        CheckContinuable(initialModel);

        if (data.IsSparse && (_options.PiecewiseLinearBins > 0 || _options.InputScaling != InputScaling.None))
        {
            // The scaling and the encoding read every value: narrow sparse rows (one-hot blocks beside numeric
            // columns) are made dense for them; wide ones (hashed n-grams) would not fit.
            if (data.FeatureCount > MlpDataset.MaxDensifiedFeatures)
            {
                throw new ArgumentException($"The rows are sparse with {data.FeatureCount} features; {nameof(MlpOptions.PiecewiseLinearBins)} = {_options.PiecewiseLinearBins} and {nameof(MlpOptions.InputScaling)} = {_options.InputScaling} would make every row dense, which the trainer does only up to {MlpDataset.MaxDensifiedFeatures} features. Set {nameof(MlpOptions.PiecewiseLinearBins)} to 0 and {nameof(MlpOptions.InputScaling)} to {nameof(InputScaling.None)} for wide sparse features (scale them in front if needed).", nameof(data));
            }

            data = data.ToDense();
        }

        // The encoding and the scalers depend on the rows alone: fitted and applied once, whatever the member count.
        var prepared = new Prepared(data, FitEncoder(data, initialModel), _options);
        return FitMembers(prepared, initialModel, _options.Seed ?? Random.Shared.Next(), progress, cancellationToken, stream: null);
    }

    /// <summary>
    /// Fits a model on rows streamed from <paramref name="source"/>, block by block, once per epoch, instead of held in
    /// memory: data larger than memory. Memory stays within <see cref="MlpOptions.MemoryBudgetBytes"/> plus the model
    /// and optimizer state, whatever the number of rows. A first pass counts the rows and draws a sample of at most
    /// 131,072 rows, on which the recipe's statistics (input scaling, piecewise-linear quantiles, target standardization)
    /// are fitted; then every epoch is one pass (early stopping: the held-out rows, chosen by
    /// <see cref="ValidationSplit.IsHeldOut"/>, are scored after it: kept in memory after the first epoch's pass over
    /// them where they fit in a quarter of the budget (the statistics sample's share, freed by then), otherwise read in a pass of
    /// their own every epoch). The next block is read on a thread of its own while the current one trains; with automatic
    /// threads (<see cref="MlpOptions.NumberOfThreads"/> 0) each block trains on every processor or one fewer, whichever
    /// the epoch's first blocks found faster (<see cref="StreamThreadChoice"/>).
    /// Only the mini-batch solvers stream; ensemble members train one after another, each streaming. The same seed, data
    /// and budget give the same model for any thread count.
    /// </summary>
    /// <exception cref="InvalidOperationException">A row or pass was bad (named in the message), or the rows changed between passes; no model is produced.</exception>
    public MlpModel Fit(IMlpRowSource source, MlpModel? initialModel = null, Action<MlpEpochReport>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        CheckSource(source);
        if (!_options.Solver.TrainsInMiniBatches)
        {
            throw new ArgumentException($"L-BFGS works on every row at once in each iteration and does not stream; use {nameof(AdamSolver)} or {nameof(SgdSolver)} to train on streamed rows, or load the rows into memory.", nameof(source));
        }

        CheckContinuable(initialModel);
        int seed = _options.Seed ?? Random.Shared.Next();
        long budget = _options.EffectiveMemoryBudget;
        Func<ulong, bool>? heldOut = _options.EarlyStopping ? id => ValidationSplit.IsHeldOut(id, seed, _options.ValidationFraction) : null;
        StreamPlan surveyPlan = StreamPlan.For(source, _options, budget, preparedRowBytes: 0);
        BlockSlot[] surveySlots = [new BlockSlot(source, surveyPlan.BlockRows, null), new BlockSlot(source, surveyPlan.BlockRows, null)];
        StreamSurvey survey = StreamSurvey.Run(source, surveySlots, surveyPlan.SampleRows, heldOut, seed, cancellationToken);
        CheckStreamedClasses(survey);
        if (heldOut is not null && (survey.TrainRows == 0 || survey.ValidationRows == 0))
        {
            throw new ArgumentOutOfRangeException(nameof(MlpOptions.ValidationFraction), _options.ValidationFraction, $"{nameof(MlpOptions.ValidationFraction)} = {_options.ValidationFraction} of {survey.Rows} rows holds out {survey.ValidationRows} and leaves {survey.TrainRows} for training; early stopping needs at least 1 of each. Use more rows or turn {nameof(MlpOptions.EarlyStopping)} off.");
        }

        MlpDataset sample = survey.TakeSample();
        var prepared = new Prepared(sample, FitEncoder(sample, initialModel), _options, sample.FirstRow());
        var preparation = new BlockPreparation(prepared.Encoder, prepared.Inputs, prepared.Targets);
        StreamPlan plan = StreamPlan.For(source, _options, budget, preparation.RowBytes(source));
        BlockSlot[] slots = [new BlockSlot(source, plan.BlockRows, preparation), new BlockSlot(source, plan.BlockRows, preparation)];
        return FitMembers(prepared, initialModel, seed, progress, cancellationToken, new StreamedData(source, slots, survey, heldOut));
    }

    /// <summary>What each member of a streamed fit streams from: the source, the two block buffers, the first pass's counts and the hold-out rule.</summary>
    private sealed record StreamedData(IMlpRowSource Source, BlockSlot[] Slots, StreamSurvey Survey, Func<ulong, bool>? HeldOut);

    /// <summary>The piecewise-linear encoding fitted on <paramref name="data"/>, or null when none is asked for (or no feature gets a bin).</summary>
    private PiecewiseLinearEncoder? FitEncoder(MlpDataset data, MlpModel? initialModel)
    {
        PiecewiseLinearEncoder? encoder = _options.PiecewiseLinearBins > 0 ? PiecewiseLinearEncoder.Fit(data, _options.PiecewiseLinearBins, _options.PiecewiseLinearDistinctValues) : null;
        if (encoder is not null && initialModel is not null)
        {
            throw new ArgumentException($"A model cannot be continued with {nameof(MlpOptions.PiecewiseLinearBins)} = {_options.PiecewiseLinearBins}: its encoding is part of the model. Set {nameof(MlpOptions.PiecewiseLinearBins)} to 0 to continue a model.", nameof(initialModel));
        }

        return encoder?.Width > 0 ? encoder : null;
    }

    private void CheckContinuable(MlpModel? initialModel)
    {
        if (_options.EnsembleSize > 1 && initialModel is not null)
        {
            throw new ArgumentException($"A model cannot be continued with {nameof(MlpOptions.EnsembleSize)} = {_options.EnsembleSize}: the members are merged into one network. Set {nameof(MlpOptions.EnsembleSize)} to 1 to continue a model.", nameof(initialModel));
        }
    }

    /// <summary>One network, or members with consecutive seeds trained one after another and merged into one network.</summary>
    private MlpModel FitMembers(Prepared prepared, MlpModel? initialModel, int seed, Action<MlpEpochReport>? progress, CancellationToken cancellationToken, StreamedData? stream)
    {
        if (_options.EnsembleSize <= 1)
        {
            return FitPrepared(prepared, initialModel, seed, progress, cancellationToken, stream);
        }

        var members = new MlpModel[_options.EnsembleSize];
        for (int k = 0; k < members.Length; k++)
        {
            MlpOptions member = _options.Clone();
            member.EnsembleSize = 1;
            member.Seed = unchecked(seed + k);
            members[k] = new MlpTrainer(member).FitPrepared(prepared, null, member.Seed.Value, progress, cancellationToken, stream);
        }

        MlpTrainingHistory history = members[0].History.Clone();
        history.StopMessage = $"{members.Length} members averaged (epochs {string.Join(", ", members.Select(m => m.EpochsRun))}); the first: {history.StopMessage}";
        return EnsembleMerger.Merge(members, history);
    }

    /// <summary>Trains one network on rows already encoded or scaled, and folds the scalers and the encoding into it.</summary>
    private MlpModel FitPrepared(Prepared prepared, MlpModel? initialModel, int seed, Action<MlpEpochReport>? progress, CancellationToken cancellationToken, StreamedData? stream)
    {
        MlpDataset train = prepared.Train;
        CheckMemory([train.FeatureCount, .. _options.HiddenLayerSizes, train.OutputCount], train, incremental: false);
        var random = new SeededRandom(seed);
        MlpModel start = initialModel is null ? Initialize(train, random) : CheckCompatible(initialModel, prepared.Data);
        bool ownsStart = initialModel is null;
        if (!ownsStart && (prepared.Inputs is not null || prepared.Targets is not null))
        {
            // Continue in the scaled space: a copy of the model with the scaling taken back out of its weights.
            var parameters = (float[])start.Parameters.Clone();
            prepared.Targets?.Unfold(start.Layout, parameters);
            prepared.Inputs?.Unfold(start.Layout, parameters);
            start = new MlpModel(start.Task, start.InputCount, [.. start.HiddenLayerSizes], start.OutputCount, start.ClassCount, start.HiddenActivation, parameters, start.History.Clone());
            ownsStart = true;
        }

        var run = new Run(_options, train, start, ownsStart, optimizer: null, random);
        MlpModel model;
        if (!_options.Solver.TrainsInMiniBatches)
        {
            model = run.FitFullBatch(_options.Solver, progress, cancellationToken);
        }
        else
        {
            using EpochRows rows = stream is null
                ? new InMemoryRows(train, _options.EarlyStopping, _options.ValidationFraction, random)
                : new StreamedRows(stream.Source, stream.Slots, stream.Survey, stream.HeldOut, StreamPlan.HeldOutBudget(_options.EffectiveMemoryBudget), StreamThreadChoice.For(_options));
            model = run.FitStochastic(rows, incremental: false, progress, cancellationToken);
        }

        prepared.Inputs?.Fold(model.Layout, model.Parameters);
        prepared.Targets?.Fold(model.Layout, model.Parameters);
        return prepared.Encoder?.Compose(model) ?? model;
    }

    /// <summary>The rows as the network trains on them: encoded or scaled, targets standardized, and what did that.</summary>
    private sealed class Prepared
    {
        /// <summary>
        /// Fits the scalers on <paramref name="data"/> and applies everything to it, or, for a streamed fit (whose blocks
        /// are prepared as they are read), only to <paramref name="shapeOnly"/>: a row that gives the trained shapes
        /// without an encoded copy of the whole sample. A streamed fit keeps only that row (<see cref="Data"/>), not the sample.
        /// </summary>
        public Prepared(MlpDataset data, PiecewiseLinearEncoder? encoder, MlpOptions options, MlpDataset? shapeOnly = null)
        {
            Data = shapeOnly ?? data;
            Encoder = encoder;
            Inputs = options.InputScaling == InputScaling.None || encoder is not null ? null : InputScaler.Fit(data, options.InputScaling);
            Targets = options.StandardizeTargets && !data.Head.IsClassifier ? TargetScaler.Fit(data) : null;
            MlpDataset rows = shapeOnly ?? data;
            MlpDataset train = encoder?.Encode(rows) ?? Inputs?.Scale(rows) ?? rows;
            Train = Targets?.Scale(train) ?? train;
        }

        public MlpDataset Data { get; }

        public PiecewiseLinearEncoder? Encoder { get; }

        public InputScaler? Inputs { get; }

        public TargetScaler? Targets { get; }

        public MlpDataset Train { get; }
    }

    /// <summary>
    /// One epoch over <paramref name="data"/>, continuing <paramref name="model"/> and its optimizer state
    /// (scikit-learn's <c>partial_fit</c>); with a null model a new one is initialized. Returns a new model;
    /// the one passed in is not changed. Not available with L-BFGS. Early stopping does not apply.
    /// </summary>
    public MlpModel PartialFit(MlpDataset data, MlpModel? model = null, Action<MlpEpochReport>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (_options.EnsembleSize > 1)
        {
            throw new InvalidOperationException($"{nameof(PartialFit)} trains one network; set {nameof(MlpOptions.EnsembleSize)} to 1.");
        }

        if (_options.InputScaling != InputScaling.None || _options.PiecewiseLinearBins > 0 || (_options.StandardizeTargets && !data.Head.IsClassifier))
        {
            throw new InvalidOperationException($"{nameof(PartialFit)} sees one batch at a time and cannot scale or encode the data itself: set {nameof(MlpOptions.InputScaling)} to {nameof(InputScaling.None)}, {nameof(MlpOptions.PiecewiseLinearBins)} to 0 and {nameof(MlpOptions.StandardizeTargets)} to false, and scale the data in front of the trainer.");
        }

        if (!_options.Solver.TrainsInMiniBatches)
        {
            throw new InvalidOperationException($"{nameof(PartialFit)} needs a mini-batch solver ({nameof(AdamSolver)} or {nameof(SgdSolver)}); L-BFGS works on the whole data set at once.");
        }

        CheckMemory([data.FeatureCount, .. _options.HiddenLayerSizes, data.OutputCount], data, incremental: true);
        var random = new SeededRandom((_options.Seed ?? Random.Shared.Next()) + (model?.History.EpochsRun ?? 0));
        MlpModel start = model is null ? Initialize(data, random) : CheckCompatible(model, data);
        var run = new Run(_options, data, start, ownsStart: model is null, model?.OptimizerState?.Clone(), random);
        using var rows = new InMemoryRows(data, earlyStopping: false, _options.ValidationFraction, random);
        return run.FitStochastic(rows, incremental: true, progress, cancellationToken);
    }

    /// <summary>
    /// The backward pass's work buffers may add at most this share of what a fit holds anyway. With an eighth, a small
    /// data set's whole fit (with the shuffled index and the loss curve) stays near 1.2x that memory or below
    /// (digits, 64-128-64-10, batch 200: chunks of 32 rows, 1.13x; breast cancer, 30-64-32-1: the 8-row minimum,
    /// 1.20x), and its chunks stay a few dozen rows long, where one thread trains within about a tenth of the speed of
    /// whole batches. (Chunks this small never run in parallel, so on two cores such a fit is slower than whole
    /// batches split between threads.)
    /// </summary>
    internal const double WorkShare = 0.125;

    /// <summary>
    /// Rows per chunk of a mini-batch (L-BFGS: of the data set): the whole batch, unless the backward pass's work
    /// buffers would then take more than <see cref="WorkShare"/> of what the fit holds anyway (the training rows,
    /// the parameters, and per parameter what the solver states in <see cref="MlpSolver.BytesPerParameter"/>). Small
    /// data sets thus train in chunks, each adding to the gradient, with the same result. Depends on the shapes,
    /// never on the thread count.
    /// </summary>
    internal static int ChunkRows(MlpOptions options, MlpDataset data, ParameterLayout layout, int batchRows) =>
        ChunkRows(options, data.ByteCount, data.IsSparse, layout, batchRows);

    /// <summary>As <see cref="ChunkRows(MlpOptions, MlpDataset, ParameterLayout, int)"/>, for rows that hold <paramref name="dataBytes"/> (a streamed fit: its blocks).</summary>
    internal static int ChunkRows(MlpOptions options, long dataBytes, bool sparse, ParameterLayout layout, int batchRows)
    {
        long held = dataBytes + ((sizeof(float) + options.Solver.BytesPerParameter) * layout.Count);
        return Backprop.RowsWithinBudget(layout, batchRows, (long)(held * WorkShare), sparse);
    }

    /// <summary>
    /// The bytes a fit of <paramref name="data"/> allocates (the data set itself aside): per parameter, the
    /// parameters, what the solver states (<see cref="MlpSolver.BytesPerParameter"/>) and, with early stopping, the
    /// best weights kept; the backward pass's work buffers for its chunk (activations, deltas, padded and transposed
    /// weight copies: <see cref="Backprop.WorkBytes"/>); the row indices (and the stratified split's lists); the
    /// loss-curve room reserved; and the bookkeeping objects.
    /// </summary>
    internal static long FitBytes(MlpOptions options, MlpDataset data, ParameterLayout layout, bool incremental)
    {
        MlpSolver solver = options.Solver;
        bool keepsBest = options.EarlyStopping && !incremental && solver.TrainsInMiniBatches;
        long perParameter = sizeof(float) + solver.BytesPerParameter + (keepsBest ? sizeof(float) : 0);
        long rows = data.RowCount;

        // Row indices: one int each; the stratified split adds a flag, the per-class lists (grown by doubling) and their shuffled copies.
        long indices = rows * (keepsBest ? sizeof(int) + 1 + (2 * sizeof(int)) + sizeof(int) : sizeof(int));
        long history = (keepsBest ? 2 : 1) * sizeof(double) * (long)Math.Min(options.MaxEpochs, Run.ReservedEpochs);
        int chunk = ChunkRows(options, data, layout, solver.BatchRows(options, data.RowCount));
        return (perParameter * layout.Count) + Backprop.WorkBytes(layout, chunk, data.IsSparse) + indices + history + BookkeepingBytes;
    }

    /// <summary>
    /// The objects and small arrays of a fit (work-piece tables, per-layer pointers and strides, the model and its
    /// history objects): about 3.5 KB for two hidden layers, counted generously.
    /// </summary>
    private const long BookkeepingBytes = 32 << 10;

    /// <summary>Glorot-uniform weights and biases as scikit-learn draws them: <c>U(-b, b)</c>, <c>b = sqrt(factor / (fan_in + fan_out))</c>, factor 2 for logistic, 6 otherwise.</summary>
    private MlpModel Initialize(MlpDataset data, SeededRandom random)
    {
        int[] hidden = (int[])_options.HiddenLayerSizes.Clone();
        int[] sizes = [data.FeatureCount, .. hidden, data.OutputCount];
        var layout = new ParameterLayout(sizes);
        var activation = new HiddenActivation(_options.Activation, _options.LeakyReluSlope, _options.EluAlpha);
        var parameters = new float[layout.Count];
        for (int l = 0; l < layout.LayerCount; l++)
        {
            double bound = Math.Sqrt(activation.GlorotFactor / (sizes[l] + sizes[l + 1]));
            Span<float> weights = layout.Weights(parameters.AsSpan(), l);
            for (int i = 0; i < weights.Length; i++)
            {
                weights[i] = (float)((((2 * random.NextDouble()) - 1) * bound));
            }

            Span<float> biases = layout.Biases(parameters.AsSpan(), l);
            for (int i = 0; i < biases.Length; i++)
            {
                biases[i] = (float)((((2 * random.NextDouble()) - 1) * bound));
            }
        }

        return new MlpModel(data.Task, data.FeatureCount, hidden, data.OutputCount, data.ClassCount, activation, parameters, new MlpTrainingHistory());
    }

    /// <summary>Rejects networks whose fit (<see cref="FitBytes"/>) cannot fit in this process, before anything is allocated.</summary>
    private void CheckMemory(int[] sizes, MlpDataset data, bool incremental)
    {
        long parameters = ParameterLayout.CountParameters(sizes);
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        long bytes = parameters > ParameterLayout.MaxCount ? long.MaxValue : FitBytes(_options, data, new ParameterLayout(sizes), incremental);
        if (bytes > available)
        {
            string needs = bytes == long.MaxValue ? "more than the format's limit" : $"about {bytes / (1 << 20):N0} MiB";
            throw new ArgumentOutOfRangeException(
                nameof(MlpOptions.HiddenLayerSizes),
                $"[{string.Join(", ", _options.HiddenLayerSizes)}]",
                $"{nameof(MlpOptions.HiddenLayerSizes)} [{string.Join(", ", _options.HiddenLayerSizes)}] with {data.FeatureCount} inputs and {data.OutputCount} outputs needs {parameters:N0} parameters and {needs} to train with {_options.Solver.GetType().Name}; this process has {available / (1 << 20):N0} MiB. Use smaller hidden layers.");
        }
    }

    private MlpModel CheckCompatible(MlpModel model, MlpDataset data)
    {
        if (model.Task != data.Task || model.InputCount != data.FeatureCount || model.OutputCount != data.OutputCount)
        {
            throw new ArgumentException($"The model to continue was trained for {model.Task} with {model.InputCount} features and {model.OutputCount} outputs; the data is {data.Task} with {data.FeatureCount} features and {data.OutputCount} outputs.", nameof(data));
        }

        if (!System.Linq.Enumerable.SequenceEqual(model.HiddenLayerSizes, _options.HiddenLayerSizes) || model.Activation != _options.Activation)
        {
            throw new ArgumentException($"The model to continue has hidden layers [{string.Join(", ", model.HiddenLayerSizes)}] with {model.Activation}; the options ask for [{string.Join(", ", _options.HiddenLayerSizes)}] with {_options.Activation}.", nameof(model));
        }

        // The activation's parameter (leaky slope, ELU alpha), where it has one, must be the one asked for.
        var asked = new HiddenActivation(_options.Activation, _options.LeakyReluSlope, _options.EluAlpha);
        if (model.HiddenActivation.Function.Parameter is { } trained && asked.Function.Parameter is { } wanted && trained.Value != wanted.Value)
        {
            throw new ArgumentException($"The model to continue was trained with {trained.Name} {trained.Value}; the options ask for {wanted.Value}.", nameof(model));
        }

        return model;
    }

    private static void CheckBothClassesPresent(MlpDataset data)
    {
        if (data.Labels is not int[] labels)
        {
            return;
        }

        if (MlpDataset.OnlyClass(labels) is int only)
        {
            throw new ArgumentException($"Every training row has class {only}; a classifier needs at least two classes among its training rows.", nameof(data));
        }

        if (MlpDataset.ClassWithoutWeight(labels, data.Weights, data.ClassCount) is int unweighted)
        {
            int rows = MlpDataset.ClassSizes(labels, data.ClassCount)[unweighted];
            throw new ArgumentException($"Class {unweighted} has {rows} rows, all of example weight 0, so training would never see it. Give some of its rows a positive weight, or drop its rows.", nameof(data));
        }
    }

    /// <summary>The shape a row source states: a task, features, and the classes or targets that task needs.</summary>
    private static void CheckSource(IMlpRowSource source)
    {
        if (source.FeatureCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(source), source.FeatureCount, $"The row source has {source.FeatureCount} features; rows need at least 1.");
        }

        OutputHead head = OutputHead.For(source.Task);
        bool shapeFits = head.IsClassifier
            ? source.ClassCount >= 2 && source.TargetCount == 0 && head.ClassCountFor(head.OutputCount(source.ClassCount, 0)) == source.ClassCount
            : source.ClassCount == 0 && source.TargetCount >= 1;
        if (!shapeFits)
        {
            throw new ArgumentException($"The row source states task {source.Task} with {source.ClassCount} classes and {source.TargetCount} targets; classification needs at least 2 classes (exactly 2 for {MlpTask.BinaryClassification}) and no targets, regression at least 1 target and no classes.", nameof(source));
        }
    }

    /// <summary>The checks of <see cref="CheckBothClassesPresent"/>, on the first pass's counts of a streamed fit.</summary>
    private static void CheckStreamedClasses(StreamSurvey survey)
    {
        if (survey.Present.Length == 0)
        {
            return;
        }

        if (Array.FindAll(survey.Present, p => p).Length < 2)
        {
            throw new ArgumentException($"Every training row has class {Array.IndexOf(survey.Present, true)}; a classifier needs at least two classes among its training rows.", "data");
        }

        if (MlpDataset.ClassWithoutWeight(survey.Present, survey.Weighted) is int unweighted)
        {
            throw new ArgumentException($"Class {unweighted} has rows, all of example weight 0, so training would never see it. Give some of its rows a positive weight, or drop its rows.", "data");
        }
    }

    /// <summary>The state of one fit: the parameters being trained, their history and the work buffers.</summary>
    private sealed class Run
    {
        /// <summary>Most epochs whose history entries are reserved up front (8 KiB per list).</summary>
        internal const int ReservedEpochs = 1024;

        private readonly MlpOptions _options;
        private readonly MlpDataset _data;
        private readonly MlpModel _start;
        private readonly float[] _parameters;
        private readonly MlpTrainingHistory _history;
        private readonly SeededRandom _random;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private StochasticOptimizer? _optimizer;
        private float[]? _validationLogits;
        private double[]? _validationLosses;

        /// <summary>
        /// With <paramref name="ownsStart"/> the start model was initialized for this fit and is never seen outside it:
        /// its parameters and history are trained in place. Otherwise (a model to continue) they are copied, and the
        /// caller's model is not changed.
        /// </summary>
        public Run(MlpOptions options, MlpDataset data, MlpModel start, bool ownsStart, StochasticOptimizer? optimizer, SeededRandom random)
        {
            _options = options;
            _data = data;
            _start = start;
            _parameters = ownsStart ? start.Parameters : (float[])start.Parameters.Clone();
            _history = ownsStart ? start.History : start.History.Clone();
            _optimizer = optimizer;
            _random = random;
        }

        private ParameterLayout Layout => _start.Layout;

        /// <summary>
        /// The epoch loop of Adam and SGD over <paramref name="rows"/>, in memory or streamed (with early stopping the
        /// rows hold the split): the same steps, schedule, stopping rules and history either way.
        /// </summary>
        public MlpModel FitStochastic(EpochRows rows, bool incremental, Action<MlpEpochReport>? progress, CancellationToken cancellationToken)
        {
            bool earlyStopping = _options.EarlyStopping && !incremental;
            long n = rows.TrainRows;
            int batchSize = _options.Solver.BatchRows(_options, (int)Math.Min(n, int.MaxValue));
            Backprop backprop = NewBackprop(ChunkRows(_options, rows.DataBytes, _data.IsSparse, Layout, batchSize));
            backprop.DropoutRate = _options.Dropout;
            // Drawn only with dropout, so the shuffles of a fit without it are what they always were.
            backprop.DropoutKey = _options.Dropout > 0 ? _random.NextUInt64() : 0;
            long dropoutStep = 0;
            var gradient = new float[Layout.Count];
            _optimizer ??= _options.Solver.CreateOptimizer(Layout.Count)!;
            float[]? best = earlyStopping ? (float[])_parameters.Clone() : null;
            int epochs = incremental ? 1 : _options.MaxEpochs;
            long batchesPerEpoch = (n + batchSize - 1) / batchSize;
            var curve = incremental ? default : new LearningRateCurve(_options.LearningRateDecay, _options.WarmupFraction, epochs * batchesPerEpoch);
            bool scheduled = !incremental && !curve.IsConstant;
            double decayRate = _options.WeightDecay * _options.Solver.InitialLearningRate;
            long step = 0;
            _history.StopReason = incremental ? MlpStopReason.PartialFitEpoch : MlpStopReason.MaximumIterations;
            _history.StopMessage = incremental ? "PartialFit ran one epoch" : $"the maximum of {epochs} epochs was reached while the {(earlyStopping ? "validation score" : "training loss")} was still improving";
            ReserveHistory(epochs, earlyStopping);

            for (int epoch = 0; epoch < epochs; epoch++)
            {
                rows.BeginEpoch(_options.Shuffle, _random, cancellationToken);
                double accumulated = 0;
                double learningRate = _optimizer.LearningRate;
                long batch = 0;
                while (true)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (!rows.NextBatch(batchSize, out MlpDataset data, out ReadOnlySpan<int> batchRows))
                    {
                        break;
                    }

                    if (rows.BlockThreads is int threads)
                    {
                        backprop.Threads = threads;
                    }

                    batch++;
                    backprop.DropoutStep = dropoutStep++;
                    double loss = backprop.LossAndGradient(_parameters, data, batchRows, _options.L2Regularization, gradient);
                    if (!double.IsFinite(loss))
                    {
                        throw Diverged($"the loss of batch {batch} was {loss}", learningRate);
                    }

                    accumulated += loss * batchRows.Length;
                    double factor = scheduled ? curve.Factor(step++) : 1;
                    if (scheduled)
                    {
                        _optimizer.RateScale = factor;
                    }

                    _optimizer.Step(_parameters, gradient);
                    if (decayRate > 0)
                    {
                        DecayWeights((float)(1 - (decayRate * factor)));
                    }
                }

                CheckFinite(_parameters, learningRate);
                if (_optimizer.NonFiniteState() is string state)
                {
                    throw Diverged(state, learningRate, GradientTooLargeAdvice);
                }

                double epochLoss = accumulated / n;
                _history.EpochsRun++;
                _history.SamplesSeen += n;
                _history.LossCurveList.Add(epochLoss);
                _history.FinalLoss = epochLoss;
                double? score = null;
                bool improved;
                if (earlyStopping)
                {
                    score = ValidationScore(backprop, rows, cancellationToken);
                    _history.ValidationScoresList.Add(score.Value);
                    improved = !(score.Value < _history.BestValidationScore + _options.OptimizationTolerance);
                    if (score.Value > _history.BestValidationScore)
                    {
                        _history.BestValidationScore = score.Value;
                        _parameters.CopyTo(best!, 0);
                    }
                }
                else
                {
                    improved = !(epochLoss > _history.BestLoss - _options.OptimizationTolerance);
                }

                _history.BestLoss = Math.Min(_history.BestLoss, epochLoss);
                _history.EpochsWithoutImprovement = improved ? 0 : _history.EpochsWithoutImprovement + 1;
                _optimizer.EpochEnded(_history.SamplesSeen);
                progress?.Invoke(new MlpEpochReport(_history.EpochsRun, epochLoss, score, learningRate, _clock.Elapsed));
                cancellationToken.ThrowIfCancellationRequested();

                if (_history.EpochsWithoutImprovement > _options.EpochsWithoutImprovement)
                {
                    string what = !earlyStopping ? "training loss" : _options.EarlyStoppingMetric == EarlyStoppingMetric.Loss ? "validation loss" : "validation score";
                    if (!_optimizer.TryContinueAfterStall())
                    {
                        _history.StopReason = MlpStopReason.NoImprovement;
                        _history.StopMessage = $"the {what} did not improve by more than {_options.OptimizationTolerance} for {_options.EpochsWithoutImprovement} consecutive epochs";
                        break;
                    }

                    _history.EpochsWithoutImprovement = 0;
                }
            }

            if (best is not null)
            {
                best.CopyTo(_parameters, 0);
            }

            _optimizer.RateScale = 1;
            return Finish(_optimizer);
        }

        public MlpModel FitFullBatch(MlpSolver solver, Action<MlpEpochReport>? progress, CancellationToken cancellationToken)
        {
            int n = _data.RowCount;
            var rows = new int[n];
            for (int i = 0; i < n; i++)
            {
                rows[i] = i;
            }

            Backprop backprop = NewBackprop(ChunkRows(_options, _data, Layout, solver.BatchRows(_options, n)));
            ReserveHistory(_options.MaxEpochs, validation: false);
            double l2 = _options.L2Regularization;
            Lbfgs lbfgs = solver.CreateFullBatchMinimizer(Layout.Count, (x, g) =>
            {
                double loss = backprop.LossAndGradient(x, _data, rows, l2, g);
                return double.IsFinite(loss) ? loss : double.PositiveInfinity;
            }) ?? throw new InvalidOperationException($"{solver.GetType().Name} trains in mini-batches; it has no full-batch minimizer.");
            (double finalLoss, int iterations, MlpStopReason reason, string message) = lbfgs.Minimize(
                _parameters,
                _options.MaxEpochs,
                _options.OptimizationTolerance,
                (iteration, loss) =>
                {
                    _history.EpochsRun++;
                    _history.LossCurveList.Add(loss);
                    _history.BestLoss = Math.Min(_history.BestLoss, loss);
                    progress?.Invoke(new MlpEpochReport(_history.EpochsRun, loss, null, double.NaN, _clock.Elapsed));
                    cancellationToken.ThrowIfCancellationRequested();
                },
                cancellationToken);
            if (!double.IsFinite(finalLoss))
            {
                throw Diverged($"the loss was {finalLoss}", double.NaN);
            }

            CheckFinite(_parameters, double.NaN);
            _history.FinalLoss = finalLoss;
            _history.BestLoss = Math.Min(_history.BestLoss, finalLoss);
            _history.SamplesSeen += (long)n * iterations;
            _history.FunctionEvaluations += lbfgs.Evaluations;
            _history.StopReason = reason;
            _history.StopMessage = message;
            return Finish(null);
        }

        /// <summary>
        /// Room for the loss curve (and validation scores) of up to <paramref name="epochs"/> more epochs, at most
        /// <see cref="ReservedEpochs"/>: one array of the right size instead of a chain of doubling copies.
        /// </summary>
        private void ReserveHistory(int epochs, bool validation)
        {
            int room = Math.Min(epochs, ReservedEpochs);
            _history.LossCurveList.EnsureCapacity(_history.LossCurveList.Count + room);
            if (validation)
            {
                _history.ValidationScoresList.EnsureCapacity(_history.ValidationScoresList.Count + room);
            }
        }

        /// <summary>The fit's backward pass, for chunks of <paramref name="chunkRows"/> rows, with the options' threads and label smoothing.</summary>
        private Backprop NewBackprop(int chunkRows) =>
            new(Layout, _start.HiddenActivation, chunkRows, _options.FixedThreads, _data.IsSparse) { LabelSmoothing = _options.LabelSmoothing };

        private MlpModel Finish(StochasticOptimizer? optimizer) =>
            new(_start.Task, _start.InputCount, [.. _start.HiddenLayerSizes], _start.OutputCount, _start.ClassCount, _start.HiddenActivation, _parameters, _history, optimizer);

        /// <summary>Decoupled weight decay: every weight (not the biases) times <paramref name="keep"/>.</summary>
        private void DecayWeights(float keep)
        {
            for (int l = 0; l < Layout.LayerCount; l++)
            {
                Kernels.VectorMath.Scale(Layout.Weights(_parameters.AsSpan(), l), keep);
            }
        }

        /// <summary>
        /// Accuracy for classification, R² (averaged over targets) for regression, as scikit-learn's <c>score</c>;
        /// or, with <see cref="EarlyStoppingMetric.Loss"/>, minus the mean (weighted) loss.
        /// </summary>
        private double ValidationScore(Backprop backprop, EpochRows rows, CancellationToken cancellationToken)
        {
            int width = Layout.OutputWidth;
            rows.BeginValidation(cancellationToken);
            if (_options.EarlyStoppingMetric == EarlyStoppingMetric.Loss)
            {
                // Allocated at the first validation and reused every epoch.
                float[] logits = _validationLogits ??= new float[backprop.Capacity * width];
                double[] losses = _validationLosses ??= new double[backprop.Capacity];
                double total = 0;
                while (rows.NextValidation(backprop.Capacity, out MlpDataset data, out ReadOnlySpan<int> chunk))
                {
                    backprop.Forward(_parameters, data, chunk).CopyTo(logits);
                    data.Head.ToDelta(data, chunk, logits.AsSpan(0, chunk.Length * width), losses.AsSpan(0, chunk.Length));
                    for (int r = 0; r < chunk.Length; r++)
                    {
                        total += losses[r];
                    }
                }

                return -total / rows.ValidationRows;
            }

            ValidationMetric metric = _data.Head.CreateMetric(_data);
            while (rows.NextValidation(backprop.Capacity, out MlpDataset data, out ReadOnlySpan<int> chunk))
            {
                ReadOnlySpan<float> outputs = backprop.Forward(_parameters, data, chunk);
                for (int r = 0; r < chunk.Length; r++)
                {
                    metric.Add(data, chunk[r], outputs.Slice(r * width, width));
                }
            }

            return metric.Score();
        }

        private void CheckFinite(float[] parameters, double learningRate)
        {
            foreach (float p in parameters)
            {
                if (!float.IsFinite(p))
                {
                    throw Diverged("a weight became NaN or infinite", learningRate);
                }
            }
        }

        /// <summary>What to do when the gradient itself is too large for float32 (a smaller learning rate does not help).</summary>
        private const string GradientTooLargeAdvice =
            "Standardize the features (mean 0, variance 1), scale example weights to around 1, scale large regression targets, or lower L2Regularization.";

        private MlpDivergenceException Diverged(string what, double learningRate, string advice =
            "Lower the learning rate, standardize the features (mean 0, variance 1), scale large regression targets, or raise L2Regularization.")
        {
            string rate = double.IsNaN(learningRate) ? string.Empty : $" (learning rate {learningRate:G4})";
            return new MlpDivergenceException($"Training diverged in epoch {_history.EpochsRun + 1}{rate}: {what}. No model was produced. {advice}");
        }
    }
}
