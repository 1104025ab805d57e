using System;
using System.Collections.Generic;
using System.Numerics.Tensors;
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
/// get exactly zero gradient, and are not counted as parameters. All three are matrix products over the receptive-field
/// matrix col(x_n): Y_n = W·col(x_n) + b and dW = Σ_n δ_n·col(x_n)ᵀ. With stride 1 the products are implicit (col is a
/// set of shifted views of the zero-padded input, never written) and δ_p is computed as written above, a full
/// correlation of δ with the rotated kernel; with a stride, col is built (im2col) and col(δx_n) = Wᵀ·δ_n is scattered
/// back (col2im). Connection tables skip unconnected blocks of maps. Samples are split into fixed chunks (at least 4),
/// each chunk accumulating its own partial dW, and the partials are added in chunk order: results do not depend on the
/// thread count.
/// </summary>
public abstract class ConvolutionND : Layer
{
    private const int MinChunks = 4;
    private readonly int[] _kernel;
    private readonly int[] _stride;
    private readonly int[] _dilation;
    private readonly Parameter[] _parameters;
    private readonly ForwardWork _forwardWork;
    private readonly BackwardWork _backwardWork;
    private const int MaxColumnFloats = 1 << 21; // im2col of several samples side by side, up to 8 MiB per chunk
    private float[][] _cols = [];
    private float[][] _dcols = [];
    private float[][] _ys = [];
    private float[][] _dw = [];
    private float[][] _db = [];

    // Implicit-GEMM path (stride 1): padded inputs, δ in the padded-pitch layout, δ padded for the full correlation.
    private ConvGeometry _planGeometry;
    private ImplicitPlan? _plan;
    private float[][] _xpad = [];
    private float[][] _dpad = [];
    private float[][] _epad = [];
    private float[][] _tmp = [];
    private float[] _wr = [];

    // Connection tables as block-sparse products (null when dense, or when the blocks would not skip enough).
    private BlockSparse? _forwardBlocks;
    private BlockSparse? _backwardBlocks;
    private float[] _wPacked = [];
    private float[] _wrPacked = [];
    private float[][] _dwPacked = [];

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
        _forwardWork = new ForwardWork(this);
        _backwardWork = new BackwardWork(this);
        Initialize(new Random(seed));
    }

    /// <summary>False forces the im2col + GEMM path even where the implicit GEMM applies (the benchmarks' "before").</summary>
    internal bool AllowImplicitGemm { get; set; } = true;

    /// <summary>Whether the last pass multiplied the connection table block-sparsely (tests and benchmarks).</summary>
    internal bool UsesBlockSparse => _forwardBlocks is not null && _plan is not null;

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

    /// <inheritdoc />
    protected override void ForwardCore(Tensor input, Tensor output)
    {
        var g = Geometry(input.Shape);
        int n = input.Shape[0];
        int chunks = Chunks(n);
        var plan = Plan(g);
        int group = plan is null ? GroupSize(g, n, chunks) : 1;
        if (plan is null)
        {
            EnsureBuffers(chunks, g, backward: false, group);
        }
        else
        {
            EnsurePlanBuffers(chunks, plan, backward: false, 1);
            _forwardBlocks?.PackWeights(Weight.Value.AsSpan(), _wPacked);
        }

        _forwardWork.Set(input, output, g, n, chunks, group);
        WorkerPool.Run(_forwardWork, chunks, DegreeOfParallelism);
        _forwardWork.Clear();
    }

    /// <inheritdoc />
    protected override void BackwardCore(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient)
    {
        var g = Geometry(input.Shape);
        int n = input.Shape[0];
        int chunks = Chunks(n);
        var plan = Plan(g);
        int group = plan is null ? GroupSize(g, n, chunks) : plan.GroupSize(n, chunks);
        if (plan is null)
        {
            EnsureBuffers(chunks, g, backward: true, group);
        }
        else
        {
            // The weight gradient reads no weights; only δx needs the rotated (and, for a table, packed) kernel.
            EnsurePlanBuffers(chunks, plan, backward: true, group);
            if (inputGradient is not null)
            {
                plan.RotateWeights(Weight.Value.AsSpan(), _wr);
                _backwardBlocks?.PackWeights(_wr, _wrPacked);
            }
        }

        _backwardWork.Set(input, outputGradient, inputGradient, g, n, chunks, group);
        WorkerPool.Run(_backwardWork, chunks, DegreeOfParallelism);
        _backwardWork.Clear();

        // Reduce the per-chunk partial sums in chunk order: deterministic whatever the thread count.
        Span<float> dw = Weight.Gradient.AsSpan();
        _dw[0].AsSpan(0, dw.Length).CopyTo(dw);
        for (int c = 1; c < chunks; c++)
        {
            TensorPrimitives.Add(dw, _dw[c].AsSpan(0, dw.Length), dw);
        }

        Weight.ApplyMask();
        if (Bias is not null)
        {
            Span<float> db = Bias.Gradient.AsSpan();
            _db[0].AsSpan(0, db.Length).CopyTo(db);
            for (int c = 1; c < chunks; c++)
            {
                TensorPrimitives.Add(db, _db[c].AsSpan(0, db.Length), db);
            }
        }
    }

    private int Chunks(int batch) => Math.Min(batch, Math.Max(MinChunks, DegreeOfParallelism));

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

    /// <summary>How many samples one GEMM covers: as many as fit in <see cref="MaxColumnFloats"/>, at most a chunk.</summary>
    private static int GroupSize(in ConvGeometry g, int batch, int chunks)
    {
        // 64-bit: the column matrix of one sample, C·Π k × Π out, can exceed int even when both tensors fit.
        long perSample = Math.Max(1L, (long)g.ColumnRows * g.OutputVolume);
        if (perSample > Array.MaxLength)
        {
            ThrowHelper.Argument("input", $"The receptive-field matrix of one sample ({g.ColumnRows} x {g.OutputVolume}) has more elements than an array can hold; this geometry needs the stride-1 path or a smaller input.");
        }

        int chunkSize = (batch + chunks - 1) / chunks;
        return (int)Math.Clamp(MaxColumnFloats / perSample, 1, chunkSize);
    }

    private void EnsureBuffers(int chunks, in ConvGeometry g, bool backward, int group)
    {
        int colLength = g.ColumnRows * g.OutputVolume * group;
        Grow(ref _cols, chunks, colLength);
        Grow(ref _ys, chunks, OutChannels * g.OutputVolume * group);
        if (backward)
        {
            Grow(ref _dcols, chunks, colLength);
            Grow(ref _dw, chunks, Weight.Value.Length);
            Grow(ref _db, chunks, OutChannels);
        }
    }

    private static void Grow(ref float[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new float[length];
        }
    }

    private static void Grow(ref float[][] buffers, int count, int length)
    {
        if (buffers.Length < count)
        {
            Array.Resize(ref buffers, count);
        }

        for (int i = 0; i < count; i++)
        {
            if (buffers[i] is null || buffers[i].Length < length)
            {
                buffers[i] = new float[length];
            }
        }
    }

    /// <summary>The implicit-GEMM plan for this geometry, or null when the im2col path is used (stride &gt; 1, or a plan
    /// that would compute too many positions or exceed int; padding wider than the dilated kernel, which the plan
    /// cannot crop, is rejected when the layer is built).</summary>
    private ImplicitPlan? Plan(in ConvGeometry g)
    {
        if (_plan is not null && _planGeometry == g)
        {
            return _plan;
        }

        if (!AllowImplicitGemm || !ImplicitPlan.Supports(g, OutChannels))
        {
            return null;
        }

        _plan = new ImplicitPlan(g, OutChannels);
        _planGeometry = g;
        _forwardBlocks = _backwardBlocks = null;
        if (!Connections.IsFull)
        {
            int kvol = g.KernelVolume;
            var forward = new BlockSparse(BlockSparse.Table(OutChannels, InChannels, Connections.IsConnected), kvol, _plan.Offsets);
            var backward = new BlockSparse(BlockSparse.Table(InChannels, OutChannels, (p, q) => Connections.IsConnected(q, p)), kvol, _plan.DeltaOffsets);
            _forwardBlocks = forward.Pays ? forward : null;
            _backwardBlocks = backward.Pays ? backward : null;
        }

        // New geometry: the padding regions of the reused buffers must be zero again.
        ClearAll(_xpad);
        ClearAll(_dpad);
        ClearAll(_epad);
        return _plan;
    }

    private static void ClearAll(float[][] buffers)
    {
        foreach (var b in buffers)
        {
            if (b is not null)
            {
                Array.Clear(b);
            }
        }
    }

    private void EnsurePlanBuffers(int chunks, ImplicitPlan plan, bool backward, int group)
    {
        if (_forwardBlocks is { } fb)
        {
            Grow(ref _wPacked, fb.PackedLength);
            if (backward)
            {
                Grow(ref _dwPacked, chunks, fb.PackedLength);
            }
        }

        if (backward && _backwardBlocks is { } bb)
        {
            Grow(ref _wrPacked, bb.PackedLength);
        }

        Grow(ref _xpad, chunks, (group * plan.InputStride) + ImplicitGemm.Align);
        Grow(ref _tmp, chunks, Math.Max(OutChannels * plan.N, InChannels * plan.N2));
        if (backward)
        {
            Grow(ref _dpad, chunks, group * plan.DeltaStride);
            Grow(ref _epad, chunks, plan.PaddedDeltaLength + ImplicitGemm.Align);
            Grow(ref _dw, chunks, Weight.Value.Length);
            Grow(ref _db, chunks, OutChannels);
            Grow(ref _wr, Weight.Value.Length);
        }
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

    private static (int Start, int End) ChunkRange(int chunk, int chunks, int n) =>
        ((int)((long)chunk * n / chunks), (int)((long)(chunk + 1) * n / chunks));

    private sealed class ForwardWork(ConvolutionND layer) : ParallelWork
    {
        private Tensor? _x;
        private Tensor? _y;
        private ConvGeometry _g;
        private int _n;
        private int _chunks;
        private int _group;

        public void Set(Tensor x, Tensor y, in ConvGeometry g, int n, int chunks, int group)
        {
            _x = x;
            _y = y;
            _g = g;
            _n = n;
            _chunks = chunks;
            _group = group;
        }

        public void Clear() => _x = _y = null;

        /// <summary>
        /// For each group of samples in this chunk: im2col them side by side, one GEMM Y = W·col over all of them, then
        /// scatter Y back to [N, Q, OV] adding b_q.
        /// </summary>
        public override void Execute(int index)
        {
            var g = _g;
            int q = layer.OutChannels, inVol = g.C * g.InputVolume, outVol = q * g.OutputVolume, ck = g.ColumnRows, ov = g.OutputVolume;
            ReadOnlySpan<float> w = layer.Weight.Value.AsSpan();
            ReadOnlySpan<float> b = layer.Bias is null ? default : layer.Bias.Value.AsSpan();
            var (start, end) = ChunkRange(index, _chunks, _n);
            if (layer._plan is { } plan && layer._planGeometry == g)
            {
                // Implicit GEMM, one sample at a time: pad x, Y = W·(shifted x), drop the padding columns, add b_q.
                Span<float> xpad = layer._xpad[index];
                Span<float> tmp = layer._tmp[index];
                for (int s = start; s < end; s++)
                {
                    plan.PadInput(_x!.AsSpan().Slice(s * inVol, inVol), xpad);
                    if (layer._forwardBlocks is { } fb)
                    {
                        // Each block of output maps multiplies only the input maps its table rows connect.
                        for (int bk = 0; bk < fb.Blocks; bk++)
                        {
                            ImplicitGemm.Forward(fb.RowStart[bk + 1] - fb.RowStart[bk], plan.N, fb.K[bk], layer._wPacked.AsSpan(fb.WeightStart[bk]), fb.K[bk],
                                fb.Offsets.AsSpan(fb.OffsetStart[bk]), xpad, tmp[(fb.RowStart[bk] * plan.N)..], plan.N);
                        }
                    }
                    else
                    {
                        ImplicitGemm.Forward(q, plan.N, ck, w, ck, plan.Offsets, xpad, tmp, plan.N);
                    }

                    plan.GatherOutput(tmp, plan.N, q, b, _y!.AsSpan().Slice(s * outVol, outVol));
                }

                return;
            }

            for (int s0 = start; s0 < end; s0 += _group)
            {
                int count = Math.Min(_group, end - s0), ld = count * ov;
                Span<float> col = layer._cols[index].AsSpan(0, ck * ld);
                Span<float> y = layer._ys[index].AsSpan(0, q * ld);
                for (int s = 0; s < count; s++)
                {
                    Im2Col.Forward(_x!.AsSpan().Slice((s0 + s) * inVol, inVol), col[(s * ov)..], g, ld);
                }

                Gemm.Multiply(false, false, q, ld, ck, w, ck, col, ld, y, ld, accumulate: false);
                for (int s = 0; s < count; s++)
                {
                    Span<float> dst = _y!.AsSpan().Slice((s0 + s) * outVol, outVol);
                    for (int j = 0; j < q; j++)
                    {
                        ReadOnlySpan<float> src = y.Slice((j * ld) + (s * ov), ov);
                        Span<float> row = dst.Slice(j * ov, ov);
                        if (b.IsEmpty)
                        {
                            src.CopyTo(row);
                        }
                        else
                        {
                            TensorPrimitives.Add(src, b[j], row);
                        }
                    }
                }
            }
        }
    }

    private sealed class BackwardWork(ConvolutionND layer) : ParallelWork
    {
        private Tensor? _x;
        private Tensor? _dy;
        private Tensor? _dx;
        private ConvGeometry _g;
        private int _n;
        private int _chunks;
        private int _group;

        public void Set(Tensor x, Tensor dy, Tensor? dx, in ConvGeometry g, int n, int chunks, int group)
        {
            _x = x;
            _dy = dy;
            _dx = dx;
            _g = g;
            _n = n;
            _chunks = chunks;
            _group = group;
        }

        public void Clear() => _x = _dy = _dx = null;

        public override void Execute(int index)
        {
            var g = _g;
            int q = layer.OutChannels, inVol = g.C * g.InputVolume, outVol = q * g.OutputVolume, ck = g.ColumnRows, ov = g.OutputVolume;
            Span<float> dw = layer._dw[index].AsSpan(0, layer.Weight.Value.Length);
            Span<float> db = layer._db[index].AsSpan(0, q);
            ReadOnlySpan<float> w = layer.Weight.Value.AsSpan();
            db.Clear();
            var (start, end) = ChunkRange(index, _chunks, _n);
            if (layer._plan is { } plan && layer._planGeometry == g)
            {
                ImplicitBackward(index, plan, start, end, dw, db);
                return;
            }

            for (int s0 = start; s0 < end; s0 += _group)
            {
                int count = Math.Min(_group, end - s0), ld = count * ov;
                Span<float> col = layer._cols[index].AsSpan(0, ck * ld);
                Span<float> dyCol = layer._ys[index].AsSpan(0, q * ld);

                // Gather δ of the group as [Q, count·OV] and im2col the inputs side by side.
                for (int s = 0; s < count; s++)
                {
                    ReadOnlySpan<float> dys = _dy!.AsSpan().Slice((s0 + s) * outVol, outVol);
                    for (int j = 0; j < q; j++)
                    {
                        dys.Slice(j * ov, ov).CopyTo(dyCol.Slice((j * ld) + (s * ov), ov));
                    }

                    Im2Col.Forward(_x!.AsSpan().Slice((s0 + s) * inVol, inVol), col[(s * ov)..], g, ld);
                }

                // ∂E/∂w_qp = Σ_n y_p *valid rot180(δ_q)  ⇔  dW += δ · colᵀ (one product over the whole group)
                Gemm.Multiply(false, true, q, ck, ld, dyCol, ld, col, ld, dw, ck, accumulate: s0 > start);

                // ∂E/∂b_q = Σ_n Σ_i (δ_q)_i
                for (int j = 0; j < q; j++)
                {
                    db[j] += TensorPrimitives.Sum(dyCol.Slice(j * ld, ld));
                }

                // δ_p = Σ_q δ_q *full w_qp  ⇔  col(δx) = Wᵀ · δ, then col2im per sample
                if (_dx is not null)
                {
                    Span<float> dcol = layer._dcols[index].AsSpan(0, ck * ld);
                    Gemm.Multiply(true, false, ck, ld, q, w, ck, dyCol, ld, dcol, ld, accumulate: false);
                    for (int s = 0; s < count; s++)
                    {
                        Im2Col.Backward(dcol[(s * ov)..], _dx.AsSpan().Slice((s0 + s) * inVol, inVol), g, ld);
                    }
                }
            }
        }

        /// <summary>
        /// Implicit GEMM over groups of samples: ∂E/∂W = Σ_s δ_s·(shifted x_s)ᵀ in one pass over the group, ∂E/∂b as
        /// sums of δ, and δ_p = Σ_q δ_q *full w_qp as a correlation of the padded δ with the rotated, transposed W.
        /// </summary>
        private void ImplicitBackward(int index, ImplicitPlan plan, int start, int end, Span<float> dw, Span<float> db)
        {
            var g = _g;
            int q = layer.OutChannels, inVol = g.C * g.InputVolume, outVol = q * g.OutputVolume, ck = g.ColumnRows, ov = g.OutputVolume;
            Span<float> xpad = layer._xpad[index];
            Span<float> dpad = layer._dpad[index];
            for (int s0 = start; s0 < end; s0 += _group)
            {
                int count = Math.Min(_group, end - s0);
                for (int s = 0; s < count; s++)
                {
                    plan.PadInput(_x!.AsSpan().Slice((s0 + s) * inVol, inVol), xpad[(s * plan.InputStride)..]);
                    ReadOnlySpan<float> dys = _dy!.AsSpan().Slice((s0 + s) * outVol, outVol);
                    plan.ScatterDelta(dys, q, dpad[(s * plan.DeltaStride)..]);

                    // ∂E/∂b_q = Σ_n Σ_i (δ_q)_i
                    for (int j = 0; j < q; j++)
                    {
                        db[j] += TensorPrimitives.Sum(dys.Slice(j * ov, ov));
                    }
                }

                // ∂E/∂w_qp = Σ_n y_p *valid rot180(δ_q)
                if (layer._forwardBlocks is { } fb)
                {
                    Span<float> packed = layer._dwPacked[index];
                    for (int bk = 0; bk < fb.Blocks; bk++)
                    {
                        ImplicitGemm.WeightGradient(fb.RowStart[bk + 1] - fb.RowStart[bk], plan.N, fb.K[bk], count, dpad[(fb.RowStart[bk] * plan.N)..], plan.N,
                            plan.DeltaStride, fb.Offsets.AsSpan(fb.OffsetStart[bk]), xpad, plan.InputStride, packed[fb.WeightStart[bk]..], fb.K[bk],
                            accumulate: s0 > start);
                    }
                }
                else
                {
                    ImplicitGemm.WeightGradient(q, plan.N, ck, count, dpad, plan.N, plan.DeltaStride, plan.Offsets, xpad, plan.InputStride,
                        dw, ck, accumulate: s0 > start);
                }
            }

            layer._forwardBlocks?.UnpackWeights(layer._dwPacked[index], dw);

            // δ_p = Σ_q δ_q *full w_qp
            if (_dx is not null)
            {
                Span<float> epad = layer._epad[index];
                Span<float> tmp = layer._tmp[index];
                int kq = q * g.KernelVolume;
                for (int s = start; s < end; s++)
                {
                    plan.PadDelta(_dy!.AsSpan().Slice(s * outVol, outVol), q, epad);
                    if (layer._backwardBlocks is { } bb)
                    {
                        for (int bk = 0; bk < bb.Blocks; bk++)
                        {
                            ImplicitGemm.Forward(bb.RowStart[bk + 1] - bb.RowStart[bk], plan.N2, bb.K[bk], layer._wrPacked.AsSpan(bb.WeightStart[bk]), bb.K[bk],
                                bb.Offsets.AsSpan(bb.OffsetStart[bk]), epad, tmp[(bb.RowStart[bk] * plan.N2)..], plan.N2);
                        }
                    }
                    else
                    {
                        ImplicitGemm.Forward(g.C, plan.N2, kq, layer._wr, kq, plan.DeltaOffsets, epad, tmp, plan.N2);
                    }

                    plan.GatherInputGradient(tmp, _dx.AsSpan().Slice(s * inVol, inVol));
                }
            }
        }
    }
}
