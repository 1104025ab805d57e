using System;

namespace ConvNet.Layers;

/// <summary>
/// Zero padding of a convolution layer per spatial dimension: <see cref="Valid"/> (none), <see cref="Same"/>,
/// <see cref="Full"/>, or explicit (before, after) amounts.
/// </summary>
/// <remarks>
/// For a kernel of size k with dilation d the effective size is k_e = d(k − 1) + 1. Valid pads 0 (output
/// ⌊(L − k_e)/s⌋ + 1); Full pads k_e − 1 on both sides (the lecture's *full); Same gives output ⌈L/s⌉ with total padding
/// max((⌈L/s⌉ − 1)s + k_e − L, 0), the smaller half before — PyTorch's <c>padding='same'</c> and Keras' 'same'. For an
/// even kernel that is (k−1)//2 before and the rest after, one less before than <c>scipy.signal.correlate(..., 'same')</c>.
/// A convolution layer accepts explicit amounts of at most k_e − 1 on each side (the Full padding): a wider margin would
/// only add outputs that see nothing but zeros. PyTorch and ONNX accept any amount; models that use more than k_e − 1
/// (rare: it computes the bias alone) are rejected with an <see cref="ArgumentException"/> when the layer is built.
/// </remarks>
public sealed class Padding : IEquatable<Padding>
{
    private readonly (int Before, int After)[] _explicit;

    private Padding(PaddingMode mode, (int Before, int After)[] amounts)
    {
        Mode = mode;
        _explicit = amounts;
    }

    /// <summary>No padding (the lecture's *valid).</summary>
    public static Padding Valid { get; } = new(PaddingMode.Valid, []);

    /// <summary>Output size ⌈L / stride⌉, smaller half of the padding before.</summary>
    public static Padding Same { get; } = new(PaddingMode.Same, []);

    /// <summary>k_e − 1 zeros on both sides (the lecture's *full).</summary>
    public static Padding Full { get; } = new(PaddingMode.Full, []);

    /// <summary>How the padding is determined.</summary>
    public PaddingMode Mode { get; }

    /// <summary>Explicit (before, after) zeros for each spatial dimension, outermost first.</summary>
    /// <param name="amounts">One pair per spatial dimension, each ≥ 0.</param>
    /// <returns>The padding.</returns>
    public static Padding Explicit(params (int Before, int After)[] amounts)
    {
        ThrowHelper.NotNull(amounts, nameof(amounts));
        foreach (var (b, a) in amounts)
        {
            if (b < 0 || a < 0)
            {
                ThrowHelper.Argument(nameof(amounts), $"Padding amounts must be ≥ 0; actual ({b}, {a}).");
            }
        }

        return new Padding(PaddingMode.Explicit, ((int, int)[])amounts.Clone());
    }

    /// <summary>The same number of zeros before and after, per spatial dimension (PyTorch's integer padding).</summary>
    /// <param name="amounts">One amount per spatial dimension, or a single one for all.</param>
    /// <returns>The padding.</returns>
    public static Padding Symmetric(params int[] amounts)
    {
        ThrowHelper.NotNull(amounts, nameof(amounts));
        var pairs = new (int, int)[amounts.Length];
        for (int i = 0; i < amounts.Length; i++)
        {
            pairs[i] = (amounts[i], amounts[i]);
        }

        return Explicit(pairs);
    }

    /// <summary>An integer means that many zeros on each side of every dimension, as PyTorch's <c>padding=p</c>
    /// (<c>new Conv2D(1, 6, 5, padding: 2)</c>).</summary>
    /// <param name="amount">Zeros on each side (≥ 0).</param>
    public static implicit operator Padding(int amount) => Symmetric(amount);

    /// <summary>Resolves (before, after) for one dimension.</summary>
    /// <param name="dimension">The spatial dimension index.</param>
    /// <param name="spatialRank">The number of spatial dimensions.</param>
    /// <param name="length">The input size L.</param>
    /// <param name="kernel">The kernel size k.</param>
    /// <param name="stride">The stride s.</param>
    /// <param name="dilation">The dilation d.</param>
    /// <returns>The zeros before and after.</returns>
    /// <exception cref="ArgumentException">A size is not positive, the dilated kernel d(k − 1) + 1 exceeds int, or the
    /// explicit padding does not have a pair for <paramref name="dimension"/>.</exception>
    public (int Before, int After) Resolve(int dimension, int spatialRank, int length, int kernel, int stride, int dilation)
    {
        ThrowHelper.Positive(length, nameof(length));
        ThrowHelper.Positive(kernel, nameof(kernel));
        ThrowHelper.Positive(stride, nameof(stride));
        ThrowHelper.Positive(dilation, nameof(dilation));
        int ke = DilatedExtent(kernel, dilation, nameof(dilation));
        switch (Mode)
        {
            case PaddingMode.Valid:
                return (0, 0);
            case PaddingMode.Full:
                return (ke - 1, ke - 1);
            case PaddingMode.Same:
                // 64-bit: (⌈L/s⌉ − 1)·s < L, so the total is below k_e and fits in int, but L + k_e need not.
                long outLen = ((long)length + stride - 1) / stride;
                int total = (int)Math.Max(((outLen - 1) * stride) + ke - length, 0);
                return (total / 2, total - (total / 2));
            default:
                if (_explicit.Length == 1)
                {
                    return _explicit[0];
                }

                if (_explicit.Length != spatialRank)
                {
                    ThrowHelper.Argument("padding", $"Explicit padding has {_explicit.Length} pairs; the layer has {spatialRank} spatial dimensions.");
                }

                return _explicit[dimension];
        }
    }

    /// <summary>The dilated kernel extent k_e = d(k − 1) + 1, computed in 64-bit; more than int holds is rejected.</summary>
    internal static int DilatedExtent(int kernel, int dilation, string paramName)
    {
        long ke = ((long)dilation * (kernel - 1)) + 1;
        if (ke > int.MaxValue)
        {
            ThrowHelper.Argument(paramName, $"A kernel of {kernel} with dilation {dilation} spans {ke} elements, more than int holds.");
        }

        return (int)ke;
    }

    /// <summary>The explicit (before, after) pairs (empty for the other modes).</summary>
    public ReadOnlySpan<(int Before, int After)> Amounts => _explicit;

    /// <inheritdoc />
    public bool Equals(Padding? other) => other is not null && other.Mode == Mode && other._explicit.AsSpan().SequenceEqual(_explicit);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Padding);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Mode, _explicit.Length);

    /// <inheritdoc />
    public override string ToString() => Mode == PaddingMode.Explicit
        ? "Explicit(" + string.Join(", ", Array.ConvertAll(_explicit, p => $"{p.Before},{p.After}")) + ")"
        : Mode.ToString();
}
