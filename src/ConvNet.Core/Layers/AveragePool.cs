using System;

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

    private void BackwardPlanes(ReadOnlySpan<float> dy, Span<float> dx, in PoolGeometry g, int p0, int p1)
    {
        dx.Slice(p0 * g.InputPlane, (p1 - p0) * g.InputPlane).Clear();
        float scale = 1f / WindowSize;
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
