using System;

namespace ConvNet.Kernels;

/// <summary>
/// The 3×3 stride-1 engine with Winograd's F(2×2, 3×3) (<see cref="WinogradPlan"/>) for the forward product and for δx
/// (itself a 3×3 stride-1 convolution: δ padded by 2 − P with the rotated kernel, channel roles swapped); ∂E/∂W stays the
/// implicit GEMM's. Per sample and in a fixed order, so the bits do not depend on the thread count. The results differ
/// from the direct products by rounding only (the transforms add, subtract and halve; see the Winograd tests).
/// </summary>
internal sealed class WinogradEngine : ImplicitGemmEngine
{
    private readonly WinogradPlan _forward;
    private readonly WinogradPlan? _backward;
    private readonly float[] _u;
    private readonly float[] _uRotated;
    private float[][] _eo = [];
    private float[][] _v = [];
    private float[][] _m = [];

    public WinogradEngine(in ConvGeometry geometry, int outChannels, Parameter weight, Parameter? bias, int minimumChannels = WinogradPlan.MinimumChannels)
        : base(geometry, outChannels, weight, bias)
    {
        var g = geometry;
        _forward = new WinogradPlan(g.C, g.H, g.W, g.OH, g.OW, g.PH, g.PW, outChannels);
        _u = new float[_forward.WeightLength];
        var reversed = g with { C = outChannels, H = g.OH, W = g.OW, OH = g.H, OW = g.W, PH = 2 - g.PH, PW = 2 - g.PW };
        if (WinogradPlan.Pays(reversed, g.C, dense: true, minimumChannels))
        {
            _backward = new WinogradPlan(outChannels, g.OH, g.OW, g.H, g.W, 2 - g.PH, 2 - g.PW, g.C);
        }

        _uRotated = _backward is null ? [] : new float[_backward.WeightLength];
    }

    /// <summary>Whether F(2×2, 3×3) applies to this geometry (see <see cref="WinogradPlan.Pays"/>).</summary>
    public static bool Applies(in ConvGeometry geometry, int outChannels, bool dense, int minimumChannels) =>
        WinogradPlan.Pays(geometry, outChannels, dense, minimumChannels);

    protected override void PrepareForward()
    {
        base.PrepareForward();
        _forward.TransformWeights(Weight.Value.AsSpan(), _u);
        EnsureBuffers();
    }

    protected override void PrepareBackward()
    {
        base.PrepareBackward();
        if (Dx is not null && _backward is not null)
        {
            _backward.TransformWeights(RotatedWeights, _uRotated);
        }

        EnsureBuffers();
    }

    /// <summary>Per sample: V = transformed input tiles, M_ξ = U_ξ·V_ξ, y = Aᵀ M A + b.</summary>
    protected override void ForwardChunk(int chunk, int start, int end)
    {
        ReadOnlySpan<float> b = Bias is null ? default : Bias.Value.AsSpan();
        for (int s = start; s < end; s++)
        {
            _forward.Run(X.AsSpan().Slice(s * InputVolume, InputVolume), _u, b, _eo[chunk], _v[chunk], _m[chunk], Y.AsSpan().Slice(s * OutputVolume, OutputVolume));
            FinishSample(s, 0, OutChannels);
        }
    }

    /// <summary>δx as the Winograd product of δ with the rotated kernel, where that pays; else the implicit GEMM's.</summary>
    protected override void InputGradientChunk(int chunk, int start, int end, Tensor dx)
    {
        if (_backward is null)
        {
            base.InputGradientChunk(chunk, start, end, dx);
            return;
        }

        for (int s = start; s < end; s++)
        {
            _backward.Run(Dy.AsSpan().Slice(s * OutputVolume, OutputVolume), _uRotated, default, _eo[chunk], _v[chunk], _m[chunk], dx.AsSpan().Slice(s * InputVolume, InputVolume));
        }
    }

    private void EnsureBuffers()
    {
        int eo = _forward.InputLength, v = _forward.TransformedInputLength, m = _forward.ProductLength;
        if (_backward is not null)
        {
            (eo, v, m) = (Math.Max(eo, _backward.InputLength), Math.Max(v, _backward.TransformedInputLength), Math.Max(m, _backward.ProductLength));
        }

        Grow(ref _eo, ChunkCount, eo);
        Grow(ref _v, ChunkCount, v);
        Grow(ref _m, ChunkCount, m);
    }
}
