using System;

namespace ConvNet.Kernels;

/// <summary>
/// The 3×3 stride-1 engine with Winograd's F(4×4, 3×3) (<see cref="Winograd4x4Plan"/>) or F(2×2, 3×3)
/// (<see cref="WinogradPlan"/>) for the forward product and for δx (itself a 3×3 stride-1 convolution: δ padded by 2 − P
/// with the rotated kernel, channel roles swapped); ∂E/∂W stays the implicit GEMM's. Per sample and in a fixed order, so
/// the bits do not depend on the thread count. The results differ from the direct products by rounding only (see the
/// Winograd tests for the error of each tile size).
/// </summary>
internal sealed class WinogradEngine : ImplicitGemmEngine
{
    private readonly IWinogradPlan _forward;
    private readonly IWinogradPlan? _backward;
    private readonly float[] _u;
    private readonly float[] _uRotated;
    private float[][] _eo = [];
    private float[][] _v = [];
    private float[][] _m = [];

    /// <param name="geometry">The convolution.</param>
    /// <param name="outChannels">Output maps.</param>
    /// <param name="weight">The weights.</param>
    /// <param name="bias">The bias, if any.</param>
    /// <param name="minimumChannels">The fewest maps in and out (see <see cref="Applies"/>).</param>
    /// <param name="tile">Output tile: 4 for F(4×4, 3×3), 2 for F(2×2, 3×3), 0 for the default where it applies
    /// (<see cref="DefaultTile"/>).</param>
    public WinogradEngine(in ConvGeometry geometry, int outChannels, Parameter weight, Parameter? bias, int minimumChannels = WinogradPlan.MinimumChannels, int tile = 0)
        : base(geometry, outChannels, weight, bias)
    {
        var g = geometry;
        Tile = tile == 0 ? DefaultTile(g, outChannels, minimumChannels) : tile;
        _forward = CreatePlan(g, outChannels);
        _u = new float[_forward.WeightLength];
        var reversed = g with { C = outChannels, H = g.OH, W = g.OW, OH = g.H, OW = g.W, PH = 2 - g.PH, PW = 2 - g.PW };
        if (Pays(reversed, g.C, minimumChannels, Tile))
        {
            _backward = CreatePlan(reversed, g.C);
        }

        _uRotated = _backward is null ? [] : new float[_backward.WeightLength];
    }

    /// <summary>The output tile of the plans: 2 for F(2×2, 3×3), 4 for F(4×4, 3×3).</summary>
    public int Tile { get; }

    /// <summary>Whether a Winograd tiling applies to this geometry: F(2×2, 3×3) (see <see cref="WinogradPlan.Pays"/>)
    /// or, with <paramref name="tile"/> 4, F(4×4, 3×3) (<see cref="Winograd4x4Plan.Pays"/>).</summary>
    public static bool Applies(in ConvGeometry geometry, int outChannels, bool dense, int minimumChannels, int tile = 0) =>
        dense && Pays(geometry, outChannels, minimumChannels, tile == 0 ? DefaultTile(geometry, outChannels, minimumChannels) : tile);

    /// <summary>F(4×4, 3×3) where it applies (4× fewer multiplications than the direct product, against F(2×2)'s 2.25×),
    /// else F(2×2, 3×3).</summary>
    public static int DefaultTile(in ConvGeometry geometry, int outChannels, int minimumChannels) =>
        Winograd4x4Plan.Pays(geometry, outChannels, dense: true, minimumChannels) ? 4 : 2;

    private static bool Pays(in ConvGeometry g, int outChannels, int minimumChannels, int tile) => tile == 4
        ? Winograd4x4Plan.Pays(g, outChannels, dense: true, minimumChannels)
        : WinogradPlan.Pays(g, outChannels, dense: true, minimumChannels);

    private IWinogradPlan CreatePlan(in ConvGeometry g, int outChannels) => Tile == 4
        ? new Winograd4x4Plan(g.C, g.H, g.W, g.OH, g.OW, g.PH, g.PW, outChannels)
        : new WinogradPlan(g.C, g.H, g.W, g.OH, g.OW, g.PH, g.PW, outChannels);

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
