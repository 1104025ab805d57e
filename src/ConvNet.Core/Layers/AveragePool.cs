using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ConvNet.Layers;

/// <summary>
/// Average pooling: y = (1/|window|) Σ over each window, with |window| = Π kernel always, also for windows that overlap
/// the padding: padded positions are zeros that count in the divisor (PyTorch's default <c>count_include_pad=True</c>;
/// <c>count_include_pad=False</c> is not offered). Backward spreads δ evenly: each input of a window receives δ^(l)/|window|;
/// overlapping windows accumulate.
/// </summary>
public abstract class AveragePool : PoolingND
{
    /// <summary>Creates the layer.</summary>
    /// <param name="name">Type name.</param>
    /// <param name="spatialRank">1, 2 or 3.</param>
    /// <param name="kernelSize">Window per dimension.</param>
    /// <param name="stride">Stride per dimension (default: the kernel).</param>
    /// <param name="padding">Symmetric padding per dimension (default 0).</param>
    private protected AveragePool(string name, int spatialRank, int[] kernelSize, int[]? stride, int[]? padding)
        : base(name, spatialRank, kernelSize, stride, padding)
    {
    }

    /// <inheritdoc />
    protected override void ForwardCore(Tensor input, Tensor output)
    {
        RunPlanes(input, output, null, null, Geometry(input, output));
    }

    /// <inheritdoc />
    private protected override void Planes(Tensor input, Tensor output, Tensor? outputGradient, Tensor? inputGradient, in PoolGeometry g, int p0, int p1)
    {
        if (inputGradient is not null)
        {
            BackwardPlanes(outputGradient!.AsSpan(), inputGradient.AsSpan(), g, p0, p1);
            return;
        }

        ReadOnlySpan<float> x = input.AsSpan();
        Span<float> y = output.AsSpan();
        float scale = 1f / WindowSize;
        if (IsVector2x2(g))
        {
            Forward2x2(x, y, g, p0, p1, scale);
            return;
        }

        int o = p0 * g.OutputPlane;
        for (int plane = p0; plane < p1; plane++)
        {
            ReadOnlySpan<float> xp = x.Slice(plane * g.InputPlane, g.InputPlane);
            for (int od = 0; od < g.OD; od++)
            {
                int d0 = Math.Max((od * g.SD) - g.PD, 0), d1 = Math.Min((od * g.SD) - g.PD + g.KD, g.D);
                for (int oh = 0; oh < g.OH; oh++)
                {
                    int h0 = Math.Max((oh * g.SH) - g.PH, 0), h1 = Math.Min((oh * g.SH) - g.PH + g.KH, g.H);
                    for (int ow = 0; ow < g.OW; ow++, o++)
                    {
                        int w0 = Math.Max((ow * g.SW) - g.PW, 0), w1 = Math.Min((ow * g.SW) - g.PW + g.KW, g.W);
                        float sum = 0f;
                        for (int d = d0; d < d1; d++)
                        {
                            for (int h = h0; h < h1; h++)
                            {
                                int row = ((d * g.H) + h) * g.W;
                                for (int w = w0; w < w1; w++)
                                {
                                    sum += xp[row + w];
                                }
                            }
                        }

                        y[o] = sum * scale;
                    }
                }
            }
        }
    }

    /// <inheritdoc />
    protected override void BackwardCore(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient)
    {
        if (inputGradient is null)
        {
            return;
        }

        RunPlanes(input, output, outputGradient, inputGradient, Geometry(input, output));
    }

    /// <summary>The 2×2, stride-2 window without padding (LeNet's subsampling) on a machine with 128- or 256-bit vectors.</summary>
    private static bool IsVector2x2(in PoolGeometry g) =>
        Kernels.MaxPoolRow.Width > 0 && g.PD == 0 && g.PH == 0 && g.PW == 0 && g.KD == 1 && g.KH == 2 && g.KW == 2 && g.SH == 2 && g.SW == 2;

    /// <summary>The forward of <see cref="IsVector2x2"/> windows: whole rows through <see cref="Kernels.AveragePoolRow"/>,
    /// the same operations as the general loop (four in-bounds inputs, summed from 0 in row-major order, times ¼).</summary>
    private static void Forward2x2(ReadOnlySpan<float> x, Span<float> y, in PoolGeometry g, int p0, int p1, float scale)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int w = Kernels.MaxPoolRow.Width;
        int o = p0 * g.OutputPlane, outEnd = p1 * g.OutputPlane;
        for (int plane = p0; plane < p1; plane++)
        {
            ref float xp = ref Unsafe.Add(ref xr, plane * g.InputPlane);
            for (int od = 0; od < g.OD; od++)
            {
                int d = od * g.SD;
                for (int oh = 0; oh < g.OH; oh++)
                {
                    int row0 = ((d * g.H) + (oh * 2)) * g.W, row1 = row0 + g.W;
                    if (Kernels.AveragePoolRow.Forward(ref xp, row0, row1, (plane * g.InputPlane) + row1 + (2 * w) <= x.Length,
                        ref Unsafe.Add(ref yr, o), g.OW, o + w <= outEnd, scale))
                    {
                        o += g.OW;
                        continue;
                    }

                    for (int ow = 0; ow < g.OW; ow++, o++)
                    {
                        int c0 = row0 + (2 * ow), c2 = row1 + (2 * ow);
                        float sum = 0f;
                        sum += Unsafe.Add(ref xp, c0);
                        sum += Unsafe.Add(ref xp, c0 + 1);
                        sum += Unsafe.Add(ref xp, c2);
                        sum += Unsafe.Add(ref xp, c2 + 1);
                        Unsafe.Add(ref yr, o) = sum * scale;
                    }
                }
            }
        }
    }

    /// <summary>The backward of <see cref="IsVector2x2"/> windows: dx cleared, then 0 + δ · ¼ written to each window's
    /// four inputs (the windows do not overlap), as the general loop's accumulation gives.</summary>
    private static void Backward2x2(ReadOnlySpan<float> dy, Span<float> dx, in PoolGeometry g, int p0, int p1, float scale)
    {
        ref float dyr = ref MemoryMarshal.GetReference(dy);
        ref float dxr = ref MemoryMarshal.GetReference(dx);
        int o = p0 * g.OutputPlane;
        for (int plane = p0; plane < p1; plane++)
        {
            ref float dp = ref Unsafe.Add(ref dxr, plane * g.InputPlane);
            for (int od = 0; od < g.OD; od++)
            {
                int d = od * g.SD;
                for (int oh = 0; oh < g.OH; oh++)
                {
                    int row0 = ((d * g.H) + (oh * 2)) * g.W, row1 = row0 + g.W;
                    if (Kernels.AveragePoolRow.Backward(ref Unsafe.Add(ref dyr, o), ref dp, row0, row1, g.OW, scale))
                    {
                        o += g.OW;
                        continue;
                    }

                    for (int ow = 0; ow < g.OW; ow++, o++)
                    {
                        float share = 0f + (Unsafe.Add(ref dyr, o) * scale);
                        int c0 = row0 + (2 * ow), c2 = row1 + (2 * ow);
                        Unsafe.Add(ref dp, c0) = share;
                        Unsafe.Add(ref dp, c0 + 1) = share;
                        Unsafe.Add(ref dp, c2) = share;
                        Unsafe.Add(ref dp, c2 + 1) = share;
                    }
                }
            }
        }
    }

    private void BackwardPlanes(ReadOnlySpan<float> dy, Span<float> dx, in PoolGeometry g, int p0, int p1)
    {
        dx.Slice(p0 * g.InputPlane, (p1 - p0) * g.InputPlane).Clear();
        float scale = 1f / WindowSize;
        if (IsVector2x2(g))
        {
            Backward2x2(dy, dx, g, p0, p1, scale);
            return;
        }

        int o = p0 * g.OutputPlane;
        for (int plane = p0; plane < p1; plane++)
        {
            Span<float> xp = dx.Slice(plane * g.InputPlane, g.InputPlane);
            for (int od = 0; od < g.OD; od++)
            {
                int d0 = Math.Max((od * g.SD) - g.PD, 0), d1 = Math.Min((od * g.SD) - g.PD + g.KD, g.D);
                for (int oh = 0; oh < g.OH; oh++)
                {
                    int h0 = Math.Max((oh * g.SH) - g.PH, 0), h1 = Math.Min((oh * g.SH) - g.PH + g.KH, g.H);
                    for (int ow = 0; ow < g.OW; ow++, o++)
                    {
                        int w0 = Math.Max((ow * g.SW) - g.PW, 0), w1 = Math.Min((ow * g.SW) - g.PW + g.KW, g.W);
                        float share = dy[o] * scale;
                        for (int d = d0; d < d1; d++)
                        {
                            for (int h = h0; h < h1; h++)
                            {
                                int row = ((d * g.H) + h) * g.W;
                                for (int w = w0; w < w1; w++)
                                {
                                    xp[row + w] += share;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
