using System;

namespace ConvNet.Kernels;

/// <summary>
/// An inference-mode BatchNorm (and the ReLU after it) folded into a convolution's output pass: each output sample's
/// map q, as soon as the engine has written it, becomes z = gate((y − shift_q) · scale_q + offset_q) in place — the same
/// kernel and coefficients as the BatchNorm layer's own inference pass, so the same bits, but on a sample that is still
/// in cache instead of a second pass over the whole batch.
/// </summary>
internal sealed class OutputAffine(int maps)
{
    /// <summary>μ_f per map (the running mean as a float).</summary>
    public float[] Shift { get; } = new float[maps];

    /// <summary>γ/√(running_var + ε) per map.</summary>
    public float[] Scale { get; } = new float[maps];

    /// <summary>β (+ the shift correction) per map.</summary>
    public float[] Offset { get; } = new float[maps];

    /// <summary>Whether a ReLU follows (z = max(y, 0)).</summary>
    public bool ReLU { get; set; }

    /// <summary>Maps [q0, q1) of one sample's output [Q, mapVolume], in place.</summary>
    public void Apply(Span<float> sample, int mapVolume, int q0, int q1)
    {
        for (int q = q0; q < q1; q++)
        {
            Span<float> map = sample.Slice(q * mapVolume, mapVolume);
            if (ReLU)
            {
                ChannelStatistics.Affine<ReLUGate>(map, Shift[q], Scale[q], Offset[q], map);
            }
            else
            {
                ChannelStatistics.Affine<PassGate>(map, Shift[q], Scale[q], Offset[q], map);
            }
        }
    }
}
