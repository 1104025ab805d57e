using System.Numerics;

namespace ConvNet.Kernels;

/// <summary>
/// The output a normalization's forward kernels write — y, or z = max(y, 0) when it absorbed the ReLU after it — and
/// the δ its backward kernels read: δy itself, or — when the normalization absorbed the ReLU after it —
/// δy ⊙ [y ≥ 0] with y = (x − shift) · scale + offset recomputed from x by the same IEEE operations as the forward
/// affine map, so the mask equals the one the ReLU would read from the stored y (the lecture's f′(0) = 1; NaN passes no
/// gradient). An operator struct: the kernels are generic over it and the JIT removes the unused branch.
/// </summary>
internal interface INormalizationGate
{
    /// <summary>Whether the backward reads the forward coefficients (shift, scale, offset).</summary>
    static abstract bool ReadsForward { get; }

    /// <summary>The output of one vector of normalized values y (IEEE maximum: NaN stays NaN, max(−0, 0) = +0).</summary>
    static abstract Vector<float> Output(Vector<float> y);

    /// <summary>The output of one normalized value y.</summary>
    static abstract float Output(float y);

    /// <summary>The δ of one vector of values.</summary>
    static abstract Vector<float> Delta(Vector<float> dy, Vector<float> x, Vector<float> shift, Vector<float> scale, Vector<float> offset);

    /// <summary>The δ of one value.</summary>
    static abstract float Delta(float dy, float x, float shift, float scale, float offset);
}

/// <summary>δ = δy (a normalization on its own).</summary>
internal readonly struct PassGate : INormalizationGate
{
    public static bool ReadsForward => false;

    public static Vector<float> Output(Vector<float> y) => y;

    public static float Output(float y) => y;

    public static Vector<float> Delta(Vector<float> dy, Vector<float> x, Vector<float> shift, Vector<float> scale, Vector<float> offset) => dy;

    public static float Delta(float dy, float x, float shift, float scale, float offset) => dy;
}

/// <summary>δ = δz ⊙ [y ≥ 0], y = (x − shift) · scale + offset: a normalization followed by a ReLU, z = max(y, 0).</summary>
internal readonly struct ReLUGate : INormalizationGate
{
    public static bool ReadsForward => true;

    public static Vector<float> Output(Vector<float> y) => Vector.Max(y, Vector<float>.Zero);

    public static float Output(float y) => System.Math.Max(y, 0f);

    public static Vector<float> Delta(Vector<float> dy, Vector<float> x, Vector<float> shift, Vector<float> scale, Vector<float> offset) =>
        Vector.ConditionalSelect(Vector.GreaterThanOrEqual(((x - shift) * scale) + offset, Vector<float>.Zero), dy, Vector<float>.Zero);

    public static float Delta(float dy, float x, float shift, float scale, float offset) =>
        ((x - shift) * scale) + offset >= 0f ? dy : 0f;
}
