using System;
using ConvNet.Kernels;

namespace ConvNet.Layers;

// The float coefficients of the per-channel affine map, shared by the layer's own passes and the convolution that
// applies an inference BatchNorm in its output pass.
public abstract partial class BatchNorm
{
    /// <summary>y = γ x̂ + β = a (x − μ_f) + [β + a (μ_f − μ)] with a = γ/σ and μ_f = μ rounded to float (an exact shift
    /// correction): the float coefficients (μ_f, a, offset) of channel c's affine map.</summary>
    private (float Shift, float Scale, float Offset) Coefficients(int c, double mean, double invStd)
    {
        double a = (Weight is null ? 1.0 : Weight.Value.AsSpan()[c]) * invStd;
        float shiftF = (float)mean;
        return (shiftF, (float)a, (float)((Bias is null ? 0.0 : Bias.Value.AsSpan()[c]) + (a * (shiftF - mean))));
    }

    /// <summary>Whether an inference pass of this layer is a fixed per-channel affine map (inference mode with running
    /// statistics), which a convolution before it can apply in its own output pass.</summary>
    internal bool IsFixedAffine => !IsTraining && TrackRunningStats;

    /// <summary>The inference pass's coefficients for every channel (only when <see cref="IsFixedAffine"/>): the same
    /// values the layer's own inference forward uses.</summary>
    internal void FixedAffine(OutputAffine target)
    {
        if (!IsFixedAffine)
        {
            ThrowHelper.InvalidOperation($"{Describe()}: only an inference-mode BatchNorm with running statistics is a fixed affine map.");
        }

        ReadOnlySpan<float> rm = RunningMean!.Value.AsSpan(), rv = RunningVar!.Value.AsSpan();
        for (int c = 0; c < Channels; c++)
        {
            (target.Shift[c], target.Scale[c], target.Offset[c]) = Coefficients(c, rm[c], 1 / Math.Sqrt(rv[c] + Epsilon));
        }
    }
}
