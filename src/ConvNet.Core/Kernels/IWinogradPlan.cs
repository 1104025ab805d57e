using System;

namespace ConvNet.Kernels;

/// <summary>One Winograd tiling of a 3×3 stride-1 convolution geometry (<see cref="WinogradPlan"/> F(2×2, 3×3),
/// <see cref="Winograd4x4Plan"/> F(4×4, 3×3)): the buffers it needs and one sample's forward product.</summary>
internal interface IWinogradPlan
{
    /// <summary>Floats of the padded, column-split input of one sample, plus any scratch the transforms spill to.</summary>
    int InputLength { get; }

    /// <summary>Floats of V for one block of tile rows.</summary>
    int TransformedInputLength { get; }

    /// <summary>Floats of M for one block of tile rows.</summary>
    int ProductLength { get; }

    /// <summary>Floats of the transformed weights U.</summary>
    int WeightLength { get; }

    /// <summary>U_ξ[q, c] = (G g_qc Gᵀ)_ξ for weights laid out [Q][C][3][3].</summary>
    void TransformWeights(ReadOnlySpan<float> weights, Span<float> u);

    /// <summary>One sample: y = the convolution of x [C][H][W] with the weights transformed into u, plus the bias.</summary>
    void Run(ReadOnlySpan<float> x, ReadOnlySpan<float> u, ReadOnlySpan<float> bias, Span<float> eo, Span<float> v, Span<float> m, Span<float> y);
}
