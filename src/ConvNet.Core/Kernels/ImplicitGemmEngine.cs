using System;
using System.Numerics.Tensors;

namespace ConvNet.Kernels;

/// <summary>
/// The stride-1 engine: the column matrix is never written. col(x) is a set of shifted views of the zero-padded input
/// (<see cref="ImplicitPlan"/>), so Y = W·(shifted x) + b and ∂E/∂W = Σ_s δ_s·(shifted x_s)ᵀ read the padded input in
/// place, and δ_p = Σ_q δ_q *full w_qp is computed as written: a correlation of the padded δ with the rotated,
/// transposed kernel. The three products are virtual so that <see cref="BlockSparseEngine"/> can skip unconnected maps.
/// </summary>
internal class ImplicitGemmEngine : ConvolutionEngine
{
    private float[][] _xpad = [];
    private float[][] _dpad = [];
    private float[][] _epad = [];
    private float[][] _tmp = [];
    private int _group = 1;

    public ImplicitGemmEngine(in ConvGeometry geometry, int outChannels, Parameter weight, Parameter? bias)
        : base(geometry, outChannels, weight, bias)
    {
        Plan = new ImplicitPlan(geometry, outChannels);
        RotatedWeights = new float[weight.Value.Length];
    }

    /// <summary>The padded layouts and kernel offsets of this geometry.</summary>
    protected ImplicitPlan Plan { get; }

    /// <summary>W rotated by 180° with the channel roles swapped, for δx (refreshed before each backward pass that needs it).</summary>
    protected float[] RotatedWeights { get; }

    protected override void PrepareForward()
    {
        _group = 1;
        EnsureBuffers(backward: false);
    }

    protected override void PrepareBackward()
    {
        _group = Plan.GroupSize(Batch, ChunkCount);
        EnsureBuffers(backward: true);

        // The weight gradient reads no weights; only δx needs the rotated kernel.
        if (Dx is not null)
        {
            Plan.RotateWeights(Weight.Value.AsSpan(), RotatedWeights);
        }
    }

    /// <summary>Whether one sample's forward may be split by output maps over <see cref="ConvolutionEngine.SampleThreads"/>
    /// (engines whose <see cref="MultiplyForward"/> is their own say no).</summary>
    protected virtual bool SplitsSample => true;

    /// <summary>Implicit GEMM, one sample at a time: pad x, Y = W·(shifted x), drop the padding columns, add b_q.</summary>
    protected override void ForwardChunk(int chunk, int start, int end)
    {
        Span<float> xpad = _xpad[chunk];
        Span<float> tmp = _tmp[chunk];
        ReadOnlySpan<float> b = Bias is null ? default : Bias.Value.AsSpan();
        for (int s = start; s < end; s++)
        {
            Plan.PadInput(X.AsSpan().Slice(s * InputVolume, InputVolume), xpad);
            // ResNet-20's 3×3 layers at batch 1 split (≥ 2^20 multiply-adds); LeNet-5's are a third of that.
            int parts = SampleParts(SplitsSample, (long)OutChannels * Plan.N * Geometry.ColumnRows, 1L << 20);
            if (parts > 1)
            {
                RunRows(chunk, s, parts);
                continue;
            }

            MultiplyForward(xpad, tmp);
            Plan.GatherOutput(tmp, Plan.N, 0, OutChannels, b, Y.AsSpan().Slice(s * OutputVolume, OutputVolume));
            FinishSample(s, 0, OutChannels);
        }
    }

    /// <summary>One part of a split sample: tmp rows [q0, q1) = W rows [q0, q1)·(shifted xpad), then those maps of y.</summary>
    protected override void ForwardRows(int chunk, int sample, int index, int parts)
    {
        var (q0, q1) = PartRows(index, parts);
        if (q1 <= q0)
        {
            return;
        }

        int ck = Geometry.ColumnRows, n = Plan.N;
        Span<float> tmp = _tmp[chunk];
        ImplicitGemm.Forward(q1 - q0, n, ck, Weight.Value.AsSpan()[(q0 * ck)..], ck, Plan.Offsets, _xpad[chunk], tmp[(q0 * n)..], n);
        ReadOnlySpan<float> b = Bias is null ? default : Bias.Value.AsSpan();
        Plan.GatherOutput(tmp, n, q0, q1, b, Y.AsSpan().Slice(sample * OutputVolume, OutputVolume));
        FinishSample(sample, q0, q1);
    }

    /// <summary>
    /// Over groups of samples: ∂E/∂W = Σ_s δ_s·(shifted x_s)ᵀ in one pass over the group and ∂E/∂b as sums of δ; then
    /// δ_p = Σ_q δ_q *full w_qp per sample.
    /// </summary>
    protected override void BackwardChunk(int chunk, int start, int end, Span<float> dw, Span<float> db)
    {
        int q = OutChannels, ov = Geometry.OutputVolume;
        Span<float> xpad = _xpad[chunk];
        Span<float> dpad = _dpad[chunk];
        for (int s0 = start; s0 < end; s0 += _group)
        {
            int count = Math.Min(_group, end - s0);
            // The last sample's positions, rounded up to the alignment, read a little past it into the next slot (the
            // buffer may hold more slots than this group: it never shrinks), where an earlier batch's input may still
            // lie: times δ = 0 that is 0, unless it was ±∞ or NaN. A few floats, cleared every group.
            int after = count * Plan.InputStride;
            xpad.Slice(after, Math.Min(ImplicitGemm.Align + Plan.Wp, xpad.Length - after)).Clear();

            for (int s = 0; s < count; s++)
            {
                Plan.PadInput(X.AsSpan().Slice((s0 + s) * InputVolume, InputVolume), xpad[(s * Plan.InputStride)..]);
                ReadOnlySpan<float> dys = Dy.AsSpan().Slice((s0 + s) * OutputVolume, OutputVolume);
                Plan.ScatterDelta(dys, q, dpad[(s * Plan.DeltaStride)..]);

                // ∂E/∂b_q = Σ_n Σ_i (δ_q)_i
                for (int j = 0; j < q; j++)
                {
                    db[j] += TensorPrimitives.Sum(dys.Slice(j * ov, ov));
                }
            }

            // ∂E/∂w_qp = Σ_n y_p *valid rot180(δ_q)
            MultiplyWeightGradient(chunk, count, dpad, xpad, dw, accumulate: s0 > start);
        }

        FinishWeightGradient(chunk, dw);

        // δ_p = Σ_q δ_q *full w_qp
        if (Dx is { } dx)
        {
            InputGradientChunk(chunk, start, end, dx);
        }
    }

    /// <summary>δx of samples [start, end): per sample, δ padded by (K−1)·d − P and multiplied by the rotated kernel.</summary>
    protected virtual void InputGradientChunk(int chunk, int start, int end, Tensor dx)
    {
        Span<float> epad = _epad[chunk];
        Span<float> tmp = _tmp[chunk];
        for (int s = start; s < end; s++)
        {
            Plan.PadDelta(Dy.AsSpan().Slice(s * OutputVolume, OutputVolume), OutChannels, epad);
            MultiplyInputGradient(epad, tmp);
            Plan.GatherInputGradient(tmp, dx.AsSpan().Slice(s * InputVolume, InputVolume));
        }
    }

    /// <summary>tmp = W·(shifted xpad): Q rows of <see cref="ImplicitPlan.N"/> positions.</summary>
    protected virtual void MultiplyForward(ReadOnlySpan<float> xpad, Span<float> tmp)
    {
        int ck = Geometry.ColumnRows;
        ImplicitGemm.Forward(OutChannels, Plan.N, ck, Weight.Value.AsSpan(), ck, Plan.Offsets, xpad, tmp, Plan.N);
    }

    /// <summary>dw (+)= Σ over <paramref name="count"/> samples of δ_s·(shifted x_s)ᵀ.</summary>
    protected virtual void MultiplyWeightGradient(int chunk, int count, ReadOnlySpan<float> dpad, ReadOnlySpan<float> xpad, Span<float> dw, bool accumulate)
    {
        int ck = Geometry.ColumnRows;
        ImplicitGemm.WeightGradient(OutChannels, Plan.N, ck, count, dpad, Plan.N, Plan.DeltaStride, Plan.Offsets, xpad, Plan.InputStride,
            dw, ck, accumulate);
    }

    /// <summary>Called once per chunk after its weight-gradient products (a packed layout unpacks here).</summary>
    protected virtual void FinishWeightGradient(int chunk, Span<float> dw)
    {
    }

    /// <summary>tmp = rot180(W)ᵀ·(shifted epad): C rows of <see cref="ImplicitPlan.N2"/> positions.</summary>
    protected virtual void MultiplyInputGradient(ReadOnlySpan<float> epad, Span<float> tmp)
    {
        int kq = OutChannels * Geometry.KernelVolume;
        ImplicitGemm.Forward(Geometry.C, Plan.N2, kq, RotatedWeights, kq, Plan.DeltaOffsets, epad, tmp, Plan.N2);
    }

    private void EnsureBuffers(bool backward)
    {
        int chunks = ChunkCount;
        // The tail: the last row's reads run up to a pitch past the planes (into the next row's zeros, which the last
        // row of the last sample does not have) and the positions are rounded up to the alignment.
        Grow(ref _xpad, chunks, (_group * Plan.InputStride) + ImplicitGemm.Align + Plan.Wp);
        Grow(ref _tmp, chunks, Math.Max(OutChannels * Plan.N, Geometry.C * Plan.N2));
        if (backward)
        {
            Grow(ref _dpad, chunks, _group * Plan.DeltaStride);
            Grow(ref _epad, chunks, Plan.PaddedDeltaLength + ImplicitGemm.Align + Plan.We);
        }
    }
}
