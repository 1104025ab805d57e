using System;
using System.Numerics.Tensors;

namespace ConvNet.Kernels;

/// <summary>
/// A 1×1 (×1) convolution with stride 1, no padding and every output map connected to every input map: each sample's
/// maps are a [C, P] matrix X_s (P positions), so the lecture's y_q = Σ_p w_qp x_p + b_q is one product per sample,
/// Y_s = W · X_s + b, with no im2col and no padded copy. Backward: ∂E/∂W = Σ_s δ_s · X_sᵀ, ∂E/∂b_q = Σ_s Σ_i (δ_s)_qi,
/// δX_s = Wᵀ · δ_s. Products go through <see cref="Gemm"/>, one sample at a time in sample order (the forward on maps of
/// fewer than 128 positions several samples side by side).
/// </summary>
internal sealed class PointwiseEngine(in ConvGeometry geometry, int outChannels, Parameter weight, Parameter? bias)
    : ConvolutionEngine(geometry, outChannels, weight, bias)
{
    /// <summary>Whether a geometry is a dense pointwise convolution (1×1 kernel, stride 1, no padding). On this
    /// engine's measured shapes (docs/performance.md) its forward is level with the implicit GEMM and its backward
    /// faster, so it is taken for all of them.</summary>
    public static bool Applies(in ConvGeometry g, bool fullConnections) =>
        fullConnections && g.KernelVolume == 1 && g.SD == 1 && g.SH == 1 && g.SW == 1 && g.PD == 0 && g.PH == 0 && g.PW == 0
        && g.OutputVolume == g.InputVolume;

    /// <summary>Maps with fewer positions than this are multiplied several samples at a time in the forward: one
    /// product Y = W · [X_s1 X_s2 …] over the samples side by side (49 columns per sample are too few for the GEMM).</summary>
    private const int SmallMap = 128;

    /// <summary>Columns of one side-by-side forward product (samples · positions).</summary>
    private const int BatchedColumns = 1024;

    private float[][] _xs = [];
    private float[][] _ys = [];
    private int _samples = 1;

    /// <inheritdoc />
    protected override void PrepareForward()
    {
        int p = Geometry.OutputVolume;
        int chunkSize = (Batch + ChunkCount - 1) / ChunkCount;
        _samples = p < SmallMap ? Math.Clamp(BatchedColumns / p, 1, chunkSize) : 1;
        if (_samples > 1)
        {
            Grow(ref _xs, ChunkCount, Geometry.C * p * _samples);
            Grow(ref _ys, ChunkCount, OutChannels * p * _samples);
        }
    }

    /// <inheritdoc />
    protected override void PrepareBackward()
    {
    }

    /// <inheritdoc />
    protected override void ForwardChunk(int chunk, int start, int end)
    {
        int q = OutChannels, c = Geometry.C, p = Geometry.OutputVolume;
        ReadOnlySpan<float> w = Weight.Value.AsSpan();
        ReadOnlySpan<float> b = Bias is null ? default : Bias.Value.AsSpan();
        if (_samples > 1)
        {
            ForwardSideBySide(chunk, start, end, w, b);
            return;
        }

        for (int s = start; s < end; s++)
        {
            Span<float> y = Y.AsSpan().Slice(s * OutputVolume, OutputVolume);
            Gemm.Multiply(false, false, q, p, c, w, c, X.AsSpan().Slice(s * InputVolume, InputVolume), p, y, p, accumulate: false);
            if (!b.IsEmpty)
            {
                for (int j = 0; j < q; j++)
                {
                    Span<float> row = y.Slice(j * p, p);
                    TensorPrimitives.Add(row, b[j], row);
                }
            }

            FinishSample(s, 0, q);
        }
    }

    /// <summary>Groups of samples side by side: X = [X_s1 X_s2 …] (C × n·P), Y = W · X, then each sample's rows back
    /// to [N, Q, P] adding b_q.</summary>
    private void ForwardSideBySide(int chunk, int start, int end, ReadOnlySpan<float> w, ReadOnlySpan<float> b)
    {
        int q = OutChannels, c = Geometry.C, p = Geometry.OutputVolume;
        for (int s0 = start; s0 < end; s0 += _samples)
        {
            int count = Math.Min(_samples, end - s0), ld = count * p;
            Span<float> xs = _xs[chunk].AsSpan(0, c * ld);
            Span<float> ys = _ys[chunk].AsSpan(0, q * ld);
            for (int s = 0; s < count; s++)
            {
                ReadOnlySpan<float> x = X.AsSpan().Slice((s0 + s) * InputVolume, InputVolume);
                for (int j = 0; j < c; j++)
                {
                    x.Slice(j * p, p).CopyTo(xs.Slice((j * ld) + (s * p), p));
                }
            }

            Gemm.Multiply(false, false, q, ld, c, w, c, xs, ld, ys, ld, accumulate: false);
            for (int s = 0; s < count; s++)
            {
                Span<float> y = Y.AsSpan().Slice((s0 + s) * OutputVolume, OutputVolume);
                for (int j = 0; j < q; j++)
                {
                    CopyRow(ys.Slice((j * ld) + (s * p), p), y.Slice(j * p, p), b, j);
                }

                FinishSample(s0 + s, 0, q);
            }
        }
    }

    /// <inheritdoc />
    protected override void BackwardChunk(int chunk, int start, int end, Span<float> dw, Span<float> db)
    {
        int q = OutChannels, c = Geometry.C, p = Geometry.OutputVolume;
        ReadOnlySpan<float> w = Weight.Value.AsSpan();
        for (int s = start; s < end; s++)
        {
            ReadOnlySpan<float> dy = Dy.AsSpan().Slice(s * OutputVolume, OutputVolume);
            ReadOnlySpan<float> x = X.AsSpan().Slice(s * InputVolume, InputVolume);

            // ∂E/∂W += δ_s · X_sᵀ (the first sample of the chunk overwrites).
            Gemm.Multiply(false, true, q, c, p, dy, p, x, p, dw, c, accumulate: s > start);
            for (int j = 0; j < q; j++)
            {
                db[j] += TensorPrimitives.Sum(dy.Slice(j * p, p));
            }

            // δX_s = Wᵀ · δ_s
            if (Dx is { } dx)
            {
                Gemm.Multiply(true, false, c, p, q, w, c, dy, p, dx.AsSpan().Slice(s * InputVolume, InputVolume), p, accumulate: false);
            }
        }
    }
}
