using System;
using System.Numerics.Tensors;

namespace ConvNet.Kernels;

/// <summary>
/// The general engine (any stride): lay the receptive fields of a group of samples out side by side as columns
/// (im2col) and multiply once per group. Forward Y = W·col + b; ∂E/∂W = δ·colᵀ; col(δx) = Wᵀ·δ scattered back (col2im).
/// A block-diagonal connection table (<c>groups</c>, e.g. ResNeXt's strided 3×3) multiplies only its diagonal blocks:
/// group g's outputs by group g's rows of col, so a table of G groups costs 1/G of the dense products. The skipped terms
/// are exact zeros of the dense product, so the results are the same bits for finite inputs.
/// </summary>
internal sealed class Im2ColEngine : ConvolutionEngine
{
    private const int MaxColumnFloats = 1 << 21; // im2col of several samples side by side, up to 8 MiB per chunk
    private float[][] _cols = [];
    private float[][] _dcols = [];
    private float[][] _ys = [];
    private readonly int _groups;
    private int _group;

    public Im2ColEngine(in ConvGeometry geometry, int outChannels, Parameter weight, Parameter? bias, int groups = 1)
        : base(geometry, outChannels, weight, bias)
    {
        _groups = groups;
        // 64-bit: the column matrix of one sample, C·Π k × Π out, can exceed int even when both tensors fit.
        long perSample = Math.Max(1L, (long)geometry.ColumnRows * geometry.OutputVolume);
        if (perSample > Array.MaxLength)
        {
            ThrowHelper.Argument("input", $"The receptive-field matrix of one sample ({geometry.ColumnRows} x {geometry.OutputVolume}) has more elements than an array can hold; this geometry needs the stride-1 path or a smaller input.");
        }
    }

    protected override void PrepareForward() => Ensure(backward: false);

    protected override void PrepareBackward() => Ensure(backward: true);

    /// <summary>
    /// For each group of samples in this chunk and each diagonal block of the table: im2col the block's input maps of
    /// those samples side by side (a column matrix 1/G of the dense one, so it stays in cache), one GEMM
    /// Y_g = W_gg·col_g over all of them, then scatter Y back to [N, Q, OV] adding b_q.
    /// </summary>
    protected override void ForwardChunk(int chunk, int start, int end)
    {
        var g = Geometry;
        var gg = GroupGeometry;
        int q = OutChannels, ck = g.ColumnRows, ov = g.OutputVolume, qg = q / _groups, ckg = ck / _groups, xg = gg.C * g.InputVolume;
        ReadOnlySpan<float> w = Weight.Value.AsSpan();
        ReadOnlySpan<float> b = Bias is null ? default : Bias.Value.AsSpan();
        // One sample of a dense table, threads to spare, ≥ 2^19 multiply-adds (ResNet-20's strided 3×3 at batch 1):
        // im2col once, then the product split by output maps.
        int parts = SampleParts(end - start == 1 && _groups == 1, (long)q * ov * ck, 1L << 19);
        if (parts > 1)
        {
            Im2Col.Forward(X.AsSpan().Slice(start * InputVolume, InputVolume), _cols[chunk], g, ov);
            RunRows(chunk, start, parts);
            return;
        }

        for (int s0 = start; s0 < end; s0 += _group)
        {
            int count = Math.Min(_group, end - s0), ld = count * ov;
            Span<float> col = _cols[chunk].AsSpan(0, ckg * ld);
            Span<float> y = _ys[chunk].AsSpan(0, q * ld);

            // Y_g = W_gg · col_g for each diagonal block (the whole W·col when there is one group).
            for (int grp = 0; grp < _groups; grp++)
            {
                for (int s = 0; s < count; s++)
                {
                    Im2Col.Forward(X.AsSpan().Slice(((s0 + s) * InputVolume) + (grp * xg), xg), col[(s * ov)..], gg, ld);
                }

                Gemm.Multiply(false, false, qg, ld, ckg, w[((grp * qg * ck) + (grp * ckg))..], ck, col, ld,
                    y[(grp * qg * ld)..], ld, accumulate: false);
            }

            for (int s = 0; s < count; s++)
            {
                Span<float> dst = Y.AsSpan().Slice((s0 + s) * OutputVolume, OutputVolume);
                for (int j = 0; j < q; j++)
                {
                    CopyRow(y.Slice((j * ld) + (s * ov), ov), dst.Slice(j * ov, ov), b, j);
                }

                FinishSample(s0 + s, 0, q);
            }
        }
    }

    /// <summary>One part of a split sample: rows [q0, q1) of Y = W·col, then those maps of y with b_q.</summary>
    protected override void ForwardRows(int chunk, int sample, int index, int parts)
    {
        var (q0, q1) = PartRows(index, parts);
        if (q1 <= q0)
        {
            return;
        }

        var g = Geometry;
        int ck = g.ColumnRows, ov = g.OutputVolume;
        Span<float> y = _ys[chunk];
        Gemm.Multiply(false, false, q1 - q0, ov, ck, Weight.Value.AsSpan()[(q0 * ck)..], ck, _cols[chunk], ov, y[(q0 * ov)..], ov, accumulate: false);
        ReadOnlySpan<float> b = Bias is null ? default : Bias.Value.AsSpan();
        Span<float> dst = Y.AsSpan().Slice(sample * OutputVolume, OutputVolume);
        for (int j = q0; j < q1; j++)
        {
            CopyRow(y.Slice(j * ov, ov), dst.Slice(j * ov, ov), b, j);
        }

        FinishSample(sample, q0, q1);
    }

    protected override void BackwardChunk(int chunk, int start, int end, Span<float> dw, Span<float> db)
    {
        var g = Geometry;
        var gg = GroupGeometry;
        int q = OutChannels, ck = g.ColumnRows, ov = g.OutputVolume, qg = q / _groups, ckg = ck / _groups, xg = gg.C * g.InputVolume;
        ReadOnlySpan<float> w = Weight.Value.AsSpan();
        for (int s0 = start; s0 < end; s0 += _group)
        {
            int count = Math.Min(_group, end - s0), ld = count * ov;
            Span<float> col = _cols[chunk].AsSpan(0, ckg * ld);
            Span<float> dyCol = _ys[chunk].AsSpan(0, q * ld);

            // Gather δ of the group as [Q, count·OV].
            for (int s = 0; s < count; s++)
            {
                ReadOnlySpan<float> dys = Dy.AsSpan().Slice((s0 + s) * OutputVolume, OutputVolume);
                for (int j = 0; j < q; j++)
                {
                    dys.Slice(j * ov, ov).CopyTo(dyCol.Slice((j * ld) + (s * ov), ov));
                }
            }

            if (_groups > 1 && s0 == start)
            {
                dw.Clear();
            }

            for (int grp = 0; grp < _groups; grp++)
            {
                // im2col of the block's input maps, side by side over the samples.
                for (int s = 0; s < count; s++)
                {
                    Im2Col.Forward(X.AsSpan().Slice(((s0 + s) * InputVolume) + (grp * xg), xg), col[(s * ov)..], gg, ld);
                }

                // ∂E/∂w_qp = Σ_n y_p *valid rot180(δ_q)  ⇔  dW_gg += δ_g · col_gᵀ (one product over the group of
                // samples; the blocks off the diagonal stay zero)
                Gemm.Multiply(false, true, qg, ckg, ld, dyCol[(grp * qg * ld)..], ld, col, ld,
                    dw[((grp * qg * ck) + (grp * ckg))..], ck, accumulate: s0 > start);

                // δ_p = Σ_q δ_q *full w_qp  ⇔  col(δx)_g = W_ggᵀ · δ_g, then col2im into the block's input maps
                if (Dx is { } dx)
                {
                    Span<float> dcol = _dcols[chunk].AsSpan(0, ckg * ld);
                    Gemm.Multiply(true, false, ckg, ld, qg, w[((grp * qg * ck) + (grp * ckg))..], ck, dyCol[(grp * qg * ld)..], ld,
                        dcol, ld, accumulate: false);
                    for (int s = 0; s < count; s++)
                    {
                        Im2Col.Backward(dcol[(s * ov)..], dx.AsSpan().Slice(((s0 + s) * InputVolume) + (grp * xg), xg), gg, ld);
                    }
                }
            }

            // ∂E/∂b_q = Σ_n Σ_i (δ_q)_i
            for (int j = 0; j < q; j++)
            {
                db[j] += TensorPrimitives.Sum(dyCol.Slice(j * ld, ld));
            }
        }
    }

    /// <summary>The geometry of one diagonal block: the same convolution over C/G input maps.</summary>
    private ConvGeometry GroupGeometry => Geometry with { C = Geometry.C / _groups };

    /// <summary>How many samples one GEMM covers: as many as fit in <see cref="MaxColumnFloats"/>, at most a chunk.</summary>
    private void Ensure(bool backward)
    {
        var g = Geometry;
        long perSample = Math.Max(1L, (long)g.ColumnRows * g.OutputVolume);
        int chunkSize = (Batch + ChunkCount - 1) / ChunkCount;
        _group = (int)Math.Clamp(MaxColumnFloats / perSample, 1, chunkSize);
        int colLength = g.ColumnRows / _groups * g.OutputVolume * _group;
        Grow(ref _cols, ChunkCount, colLength);
        Grow(ref _ys, ChunkCount, OutChannels * g.OutputVolume * _group);
        if (backward)
        {
            Grow(ref _dcols, ChunkCount, colLength);
        }
    }
}
