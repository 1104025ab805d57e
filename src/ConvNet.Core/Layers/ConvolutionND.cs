using System;
using System.Collections.Generic;
using ConvNet.Initialization;
using ConvNet.Kernels;

namespace ConvNet.Layers;

/// <summary>
/// The shared N-d (1..3 spatial dimensions) convolution layer behind <see cref="Conv1D"/>, <see cref="Conv2D"/> and
/// <see cref="Conv3D"/>, implementing the lecture's "Summary for 2D convolution with feature combination":
/// <list type="bullet">
/// <item>Forward: y_q = Σ_{p∈M_q} y_p *valid rot180(w_qp) + b_q (a correlation of y_p with w_qp), sampled with the stride.</item>
/// <item>Gradient: ∂E/∂w_qp = Σ_n y_p *valid rot180(δ_q), ∂E/∂b_q = Σ_n Σ_i (δ_q)_i (summed over the batch).</item>
/// <item>Local sensitivity: δ_p = Σ_{q∈M̃_p} δ_q *full w_qp (δ dilated by the stride, cropped by the padding).</item>
/// </list>
/// Weights are [out][in][k…]; pairs (q, p) that the <see cref="ConnectionTable"/> leaves unconnected hold exactly zero,
/// get exactly zero gradient, and are not counted as parameters (an empty M_q gives y_q = b_q). All three are matrix
/// products over the receptive-field matrix col(x_n): Y_n = W·col(x_n) + b and dW = Σ_n δ_n·col(x_n)ᵀ. How they are
/// computed is an engine's business, chosen once per input geometry: stride 1 uses the implicit GEMM (col is a set of
/// shifted views of the zero-padded input, never written; δ_p is the full correlation as written above), block-sparse
/// when the connection table skips enough maps; a stride uses im2col + GEMM and col2im. Results do not depend on the
/// thread count.
/// </summary>
public abstract partial class ConvolutionND : Layer
{
    private readonly int[] _kernel;
    private readonly int[] _stride;
    private readonly int[] _dilation;
    private readonly Parameter[] _parameters;
    private ConvolutionEngine? _engine;
    private bool _allowImplicitGemm = true;
    private bool _allowWinograd = true;
    private bool _allowPointwise = true;
    private int _winogradMinimumChannels = WinogradPlan.MinimumChannels;
    private int _winogradTile;

    /// <summary>Creates the layer; see the derived types for the parameters.</summary>
    /// <param name="spatialRank">1, 2 or 3.</param>
    /// <param name="inChannels">Input feature maps P.</param>
    /// <param name="outChannels">Output feature maps Q.</param>
    /// <param name="kernelSize">Kernel size per spatial dimension (one value for all, or one each).</param>
    /// <param name="stride">Stride per dimension (default 1).</param>
    /// <param name="dilation">Dilation per dimension (default 1).</param>
    /// <param name="padding">Padding (default <see cref="Padding.Valid"/>); explicit amounts at most k_e − 1 = d(k − 1) per side.</param>
    /// <param name="connections">M_q for every output (default: full).</param>
    /// <param name="useBias">Whether b_q is learned.</param>
    /// <param name="weightInitializer">Default <see cref="WeightInitializer.HeUniform"/>.</param>
    /// <param name="seed">Seed of the initial weights.</param>
    protected ConvolutionND(int spatialRank, int inChannels, int outChannels, int[] kernelSize, int[]? stride, int[]? dilation,
        Padding? padding, ConnectionTable? connections, bool useBias, WeightInitializer? weightInitializer, int seed)
        : base($"Conv{spatialRank}D")
    {
        ThrowHelper.Positive(inChannels, nameof(inChannels));
        ThrowHelper.Positive(outChannels, nameof(outChannels));
        SpatialRank = spatialRank;
        InChannels = inChannels;
        OutChannels = outChannels;
        _kernel = Expand(kernelSize, nameof(kernelSize), 1);
        _stride = Expand(stride ?? [1], nameof(stride), 1);
        _dilation = Expand(dilation ?? [1], nameof(dilation), 1);
        Padding = padding ?? Padding.Valid;
        if (Padding.Mode == PaddingMode.Explicit && Padding.Amounts.Length != 1 && Padding.Amounts.Length != spatialRank)
        {
            ThrowHelper.Argument(nameof(padding), $"Conv{spatialRank}D: explicit padding needs 1 or {spatialRank} (before, after) pairs; actual {Padding.Amounts.Length}.");
        }

        ConvolutionShapes.CheckArchitecture(spatialRank, inChannels, outChannels, _kernel, _dilation, Padding);

        Connections = connections ?? ConnectionTable.Full(inChannels, outChannels);
        if (Connections.Inputs != inChannels || Connections.Outputs != outChannels)
        {
            ThrowHelper.Argument(nameof(connections), $"Conv{spatialRank}D: the connection table is {Connections.Outputs}x{Connections.Inputs} (out x in); expected {outChannels}x{inChannels}.");
        }

        WeightInitializer = weightInitializer ?? WeightInitializer.HeUniform;
        int kvol = KernelVolume;
        float[]? mask = null;
        if (!Connections.IsFull)
        {
            mask = new float[outChannels * inChannels * kvol];
            for (int q = 0; q < outChannels; q++)
            {
                for (int p = 0; p < inChannels; p++)
                {
                    if (Connections.IsConnected(q, p))
                    {
                        mask.AsSpan(((q * inChannels) + p) * kvol, kvol).Fill(1f);
                    }
                }
            }
        }

        var wShape = new int[2 + spatialRank];
        wShape[0] = outChannels;
        wShape[1] = inChannels;
        _kernel.CopyTo(wShape, 2);
        Weight = new Parameter("weight", wShape, decays: true, mask);
        Bias = useBias ? new Parameter("bias", [outChannels], decays: false) : null;
        _parameters = Bias is null ? [Weight] : [Weight, Bias];
        Initialize(new Random(seed));
    }

    /// <summary>False forces the im2col + GEMM path even where the implicit GEMM applies (the benchmarks' "before").</summary>
    internal bool AllowImplicitGemm
    {
        get => _allowImplicitGemm;
        set
        {
            _allowImplicitGemm = value;
            _engine = null;
        }
    }

    /// <summary>
    /// Whether 3×3 stride-1 convolutions may use Winograd's minimal filtering for the forward product and δx where it
    /// pays: 2-D, undilated, a dense connection table, at least 64 maps in and out; F(4×4, 3×3) (4× fewer
    /// multiplications) for outputs at least 13 wide and padding 0 to 2, else F(2×2, 3×3) (2.25× fewer) for outputs at
    /// least 15 wide. Its results differ from the direct product by rounding (max |Δ| / max |y| about 6e-6 for
    /// F(4×4), 3e-7 for F(2×2) at 64 maps, see docs/performance.md); false gives the direct implicit GEMM. Default true.
    /// </summary>
    public bool AllowWinograd
    {
        get => _allowWinograd;
        set
        {
            _allowWinograd = value;
            _engine = null;
        }
    }

    /// <summary>False sends dense 1×1 stride-1 convolutions to the implicit GEMM instead of the per-sample products of
    /// <see cref="PointwiseEngine"/> (tests and benchmarks).</summary>
    internal bool AllowPointwise
    {
        get => _allowPointwise;
        set
        {
            _allowPointwise = value;
            _engine = null;
        }
    }

    /// <summary>Whether the last pass ran the pointwise engine (tests and benchmarks).</summary>
    internal bool UsesPointwise => _engine is PointwiseEngine;

    /// <summary>Whether the last pass ran the Winograd engine (tests and benchmarks).</summary>
    internal bool UsesWinograd => _engine is WinogradEngine;

    /// <summary>The parts the last single-sample forward was split into over the layer's threads (1: not split).</summary>
    internal int LastForwardParts => _engine?.LastForwardParts ?? 1;

    /// <summary>The Winograd output tile: 2 for F(2×2, 3×3), 4 for F(4×4, 3×3), 0 (default) for the engine's choice
    /// (tests and benchmarks).</summary>
    internal int WinogradTile
    {
        get => _winogradTile;
        set
        {
            _winogradTile = value;
            _engine = null;
        }
    }

    /// <summary>The tile of the Winograd engine the last pass ran (0: not Winograd).</summary>
    internal int UsedWinogradTile => (_engine as WinogradEngine)?.Tile ?? 0;

    /// <summary>The fewest maps in and out for the Winograd engine (tests lower it to exercise small shapes).</summary>
    internal int WinogradMinimumChannels
    {
        get => _winogradMinimumChannels;
        set
        {
            _winogradMinimumChannels = value;
            _engine = null;
        }
    }

    /// <summary>Whether the last pass multiplied the connection table block-sparsely (tests and benchmarks).</summary>
    internal bool UsesBlockSparse => _engine is BlockSparseEngine { ForwardIsBlockSparse: true };

    /// <summary>Number of spatial dimensions (1, 2 or 3).</summary>
    public int SpatialRank { get; }

    /// <summary>Input feature maps P.</summary>
    public int InChannels { get; }

    /// <summary>Output feature maps Q.</summary>
    public int OutChannels { get; }

    /// <summary>Kernel size per spatial dimension.</summary>
    public ReadOnlySpan<int> KernelSize => _kernel;

    /// <summary>Stride per spatial dimension.</summary>
    public ReadOnlySpan<int> Stride => _stride;

    /// <summary>Dilation per spatial dimension.</summary>
    public ReadOnlySpan<int> Dilation => _dilation;

    /// <summary>The padding rule.</summary>
    public Padding Padding { get; }

    /// <summary>The feature-map connection table M_q.</summary>
    public ConnectionTable Connections { get; }

    /// <summary>The initializer used by <see cref="Initialize"/>.</summary>
    public WeightInitializer WeightInitializer { get; }

    /// <summary>W, shape [out][in][k…].</summary>
    public Parameter Weight { get; }

    /// <summary>b, shape [out], or null without bias.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters => _parameters;

    private int KernelVolume
    {
        get
        {
            int v = 1;
            foreach (int k in _kernel)
            {
                v *= k;
            }

            return v;
        }
    }

    /// <summary>Fills W from the initializer with fan_in = (connected inputs per output) × kernel volume; b = 0.</summary>
    /// <param name="random">The seeded source of randomness.</param>
    public override void Initialize(Random random)
    {
        ThrowHelper.NotNull(random, nameof(random));
        int kvol = KernelVolume;
        int fanIn = Math.Max(1, Connections.ConnectionCount * kvol / OutChannels);
        int fanOut = Math.Max(1, Connections.ConnectionCount * kvol / InChannels);
        WeightInitializer.Fill(Weight.Value.AsSpan(), fanIn, fanOut, random);
        Weight.ApplyMask();
        Bias?.Value.Clear();
    }

    /// <inheritdoc />
    public override void WriteConfig(Serialization.LayerConfigWriter config)
    {
        ThrowHelper.NotNull(config, nameof(config));
        config.Write("in", InChannels);
        config.Write("out", OutChannels);
        config.Write("kernel", KernelSize);
        config.Write("stride", Stride);
        config.Write("dilation", Dilation);
        config.Write("padding", Padding.Mode.ToString());
        if (Padding.Mode == PaddingMode.Explicit)
        {
            var pairs = new List<int[]>();
            for (int d = 0; d < SpatialRank; d++)
            {
                var (b, a) = Padding.Amounts.Length == 1 ? Padding.Amounts[0] : Padding.Amounts[d];
                pairs.Add([b, a]);
            }

            config.Write("paddingAmounts", pairs);
        }

        config.Write("bias", Bias is not null);
        config.Write("initializer", WeightInitializer.Name);
        if (!Connections.IsFull)
        {
            var sets = new List<int[]>();
            for (int q = 0; q < OutChannels; q++)
            {
                sets.Add(Connections.InputsOf(q));
            }

            config.Write("connections", sets);
        }
    }

    /// <inheritdoc />
    public override int[] GetOutputShape(ReadOnlySpan<int> inputShape)
    {
        if (inputShape.Length != 1 + SpatialRank)
        {
            Fail(nameof(inputShape), $"expects per-sample input [C, {SpatialDims()}] of rank {1 + SpatialRank}; actual {ThrowHelper.Shape(inputShape)}.");
        }

        if (inputShape[0] != InChannels)
        {
            Fail(nameof(inputShape), $"expects {InChannels} input channels; actual {inputShape[0]} (input {ThrowHelper.Shape(inputShape)}).");
        }

        if (!ConvolutionShapes.TryOutputShape(inputShape, OutChannels, _kernel, _stride, _dilation, Padding, out int[] result, out string? error))
        {
            Fail(nameof(inputShape), error!);
        }

        return result;
    }

    /// <summary>y_q = Σ_{p∈M_q} y_p *valid rot180(w_qp) + b_q, for every sample of the batch.</summary>
    /// <inheritdoc />
    protected override void ForwardCore(Tensor input, Tensor output)
    {
        var engine = Engine(input.Shape);
        engine.Post = _post;
        LastForwardNormalized = _post is not null;
        try
        {
            engine.Forward(input, output, DegreeOfParallelism);
        }
        finally
        {
            engine.Post = null;
        }
    }

    /// <summary>
    /// ∂E/∂w_qp = Σ_n y_p *valid rot180(δ_q) (zero where M_q leaves p out), ∂E/∂b_q = Σ_n Σ_i (δ_q)_i, and
    /// δ_p = Σ_{q∈M̃_p} δ_q *full w_qp when the input needs δ.
    /// </summary>
    /// <inheritdoc />
    protected override void BackwardCore(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient)
    {
        Engine(input.Shape).Backward(input, outputGradient, inputGradient, DegreeOfParallelism);
        Weight.ApplyMask();
    }

    /// <summary>
    /// The engine for this input geometry, chosen once per geometry: plain per-sample products for dense 1×1 stride-1
    /// convolutions (any map size), Winograd or the implicit GEMM for other stride-1 ones (block-sparse when a
    /// connection table skips enough work), im2col + GEMM otherwise (or when the plan would compute too much).
    /// </summary>
    private ConvolutionEngine Engine(ReadOnlySpan<int> batchShape)
    {
        var g = Geometry(batchShape);
        if (_engine is { } current && current.Geometry == g)
        {
            return current;
        }

        ConvolutionEngine engine;
        if (AllowImplicitGemm && AllowPointwise && PointwiseEngine.Applies(g, Connections.IsFull))
        {
            engine = new PointwiseEngine(g, OutChannels, Weight, Bias);
        }
        else if (!AllowImplicitGemm || !ImplicitPlan.Supports(g, OutChannels))
        {
            engine = new Im2ColEngine(g, OutChannels, Weight, Bias, Connections.BlockDiagonalGroups());
        }
        else
        {
            engine = AllowWinograd && WinogradEngine.Applies(g, OutChannels, Connections.IsFull, WinogradMinimumChannels, WinogradTile)
                ? new WinogradEngine(g, OutChannels, Weight, Bias, WinogradMinimumChannels, WinogradTile)
                : (Connections.IsFull ? null : BlockSparseEngine.TryCreate(g, OutChannels, Weight, Bias, Connections))
                    ?? new ImplicitGemmEngine(g, OutChannels, Weight, Bias);
        }

        _engine = engine;
        return engine;
    }

    private ConvGeometry Geometry(ReadOnlySpan<int> batchShape)
    {
        // Pad to 3-D with leading size-1 dimensions.
        Span<int> len = [1, 1, 1], k = [1, 1, 1], s = [1, 1, 1], d = [1, 1, 1], pb = [0, 0, 0], o = [1, 1, 1];
        int off = 3 - SpatialRank;
        for (int i = 0; i < SpatialRank; i++)
        {
            int l = batchShape[2 + i];
            var (before, after) = Padding.Resolve(i, SpatialRank, l, _kernel[i], _stride[i], _dilation[i]);
            int ke = (_dilation[i] * (_kernel[i] - 1)) + 1;
            len[off + i] = l;
            k[off + i] = _kernel[i];
            s[off + i] = _stride[i];
            d[off + i] = _dilation[i];
            pb[off + i] = before;
            o[off + i] = ((l + before + after - ke) / _stride[i]) + 1;
        }

        return new ConvGeometry(InChannels, len[0], len[1], len[2], k[0], k[1], k[2], o[0], o[1], o[2],
            s[0], s[1], s[2], d[0], d[1], d[2], pb[0], pb[1], pb[2]);
    }

    private string SpatialDims() => SpatialRank switch
    {
        1 => "W",
        2 => "H, W",
        _ => "D, H, W",
    };

    private int[] Expand(int[] values, string name, int min)
    {
        ThrowHelper.NotNull(values, name);
        if (values.Length != 1 && values.Length != SpatialRank)
        {
            ThrowHelper.Argument(name, $"Conv{SpatialRank}D: {name} needs 1 or {SpatialRank} values; actual {values.Length}.");
        }

        var r = new int[SpatialRank];
        for (int i = 0; i < SpatialRank; i++)
        {
            r[i] = values.Length == 1 ? values[0] : values[i];
            if (r[i] < min)
            {
                ThrowHelper.OutOfRange(name, r[i], $"Conv{SpatialRank}D: {name} must be ≥ {min}; actual {ThrowHelper.Shape(values)}.");
            }
        }

        return r;
    }
}
