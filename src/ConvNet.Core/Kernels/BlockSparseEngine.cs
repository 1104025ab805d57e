using System;

namespace ConvNet.Kernels;

/// <summary>
/// The stride-1 engine for a sparse connection table (LeNet-5's C3, grouped convolutions): output maps are taken in
/// blocks, and each block multiplies only the input maps its table rows connect, over weights packed block by block
/// (<see cref="BlockSparse"/>). Forward and δx each use the block layout only where it skips enough work; otherwise
/// they fall back to the dense products of <see cref="ImplicitGemmEngine"/>.
/// </summary>
internal sealed class BlockSparseEngine : ImplicitGemmEngine
{
    private readonly BlockSparse? _forward;
    private readonly BlockSparse? _backward;
    private readonly float[] _wPacked = [];
    private readonly float[] _wrPacked = [];
    private float[][] _dwPacked = [];

    private BlockSparseEngine(in ConvGeometry geometry, int outChannels, Parameter weight, Parameter? bias, BlockSparse? forward, BlockSparse? backward)
        : base(geometry, outChannels, weight, bias)
    {
        _forward = forward;
        _backward = backward;
        if (forward is not null)
        {
            _wPacked = new float[forward.PackedLength];
        }

        if (backward is not null)
        {
            _wrPacked = new float[backward.PackedLength];
        }
    }

    /// <summary>A block-sparse engine when the table's blocks skip enough work in either direction, else null.</summary>
    public static BlockSparseEngine? TryCreate(in ConvGeometry geometry, int outChannels, Parameter weight, Parameter? bias, ConnectionTable table)
    {
        var plan = new ImplicitPlan(geometry, outChannels);
        int kvol = geometry.KernelVolume;
        var forward = new BlockSparse(BlockSparse.Table(outChannels, geometry.C, table.IsConnected), kvol, plan.Offsets);
        var backward = new BlockSparse(BlockSparse.Table(geometry.C, outChannels, (p, q) => table.IsConnected(q, p)), kvol, plan.DeltaOffsets);
        return forward.Pays || backward.Pays
            ? new BlockSparseEngine(geometry, outChannels, weight, bias, forward.Pays ? forward : null, backward.Pays ? backward : null)
            : null;
    }

    /// <summary>Whether the forward product is block-sparse.</summary>
    public bool ForwardIsBlockSparse => _forward is not null;

    protected override void PrepareForward()
    {
        base.PrepareForward();
        _forward?.PackWeights(Weight.Value.AsSpan(), _wPacked);
    }

    protected override void PrepareBackward()
    {
        base.PrepareBackward();
        if (_forward is not null)
        {
            Grow(ref _dwPacked, ChunkCount, _forward.PackedLength);
        }

        if (Dx is not null)
        {
            _backward?.PackWeights(RotatedWeights, _wrPacked);
        }
    }

    /// <summary>The block products are not split by rows (<see cref="MultiplyForward"/> is this engine's own).</summary>
    protected override bool SplitsSample => false;

    protected override void MultiplyForward(ReadOnlySpan<float> xpad, Span<float> tmp)
    {
        if (_forward is not { } fb)
        {
            base.MultiplyForward(xpad, tmp);
            return;
        }

        // Each block of output maps multiplies only the input maps its table rows connect (none: y_q = b_q).
        Multiply(fb, Plan.N, _wPacked, xpad, tmp);
    }

    protected override void MultiplyWeightGradient(int chunk, int count, ReadOnlySpan<float> dpad, ReadOnlySpan<float> xpad, Span<float> dw, bool accumulate)
    {
        if (_forward is not { } fb)
        {
            base.MultiplyWeightGradient(chunk, count, dpad, xpad, dw, accumulate);
            return;
        }

        Span<float> packed = _dwPacked[chunk];
        for (int bk = 0; bk < fb.Blocks; bk++)
        {
            if (fb.K[bk] == 0)
            {
                continue; // no weights in this block: its rows of ∂E/∂W are zero (UnpackWeights clears them)
            }

            ImplicitGemm.WeightGradient(fb.RowStart[bk + 1] - fb.RowStart[bk], Plan.N, fb.K[bk], count, dpad[(fb.RowStart[bk] * Plan.N)..], Plan.N,
                Plan.DeltaStride, fb.Offsets.AsSpan(fb.OffsetStart[bk]), xpad, Plan.InputStride, packed[fb.WeightStart[bk]..], fb.K[bk], accumulate);
        }
    }

    protected override void FinishWeightGradient(int chunk, Span<float> dw) => _forward?.UnpackWeights(_dwPacked[chunk], dw);

    protected override void MultiplyInputGradient(ReadOnlySpan<float> epad, Span<float> tmp)
    {
        if (_backward is not { } bb)
        {
            base.MultiplyInputGradient(epad, tmp);
            return;
        }

        Multiply(bb, Plan.N2, _wrPacked, epad, tmp);
    }

    /// <summary>tmp rows of each block = its packed weights · its shifted channels; a block with no channels gives 0.</summary>
    private static void Multiply(BlockSparse blocks, int n, float[] packed, ReadOnlySpan<float> x, Span<float> tmp)
    {
        for (int bk = 0; bk < blocks.Blocks; bk++)
        {
            int rows = blocks.RowStart[bk + 1] - blocks.RowStart[bk];
            Span<float> dst = tmp[(blocks.RowStart[bk] * n)..];
            if (blocks.K[bk] == 0)
            {
                dst[..(rows * n)].Clear();
                continue;
            }

            ImplicitGemm.Forward(rows, n, blocks.K[bk], packed.AsSpan(blocks.WeightStart[bk]), blocks.K[bk],
                blocks.Offsets.AsSpan(blocks.OffsetStart[bk]), x, dst, n);
        }
    }
}
