using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ConvNet.Layers;

/// <summary>
/// Max pooling: y = max over each window. Backward routes δ^(l) to the position of the maximum, δ^(l−1)[argmax] += δ^(l);
/// every other input gets 0. Ties go to the first maximum in row-major scan order of the window; padding is −∞ and never
/// wins. NaN propagates as in PyTorch: a window holding a NaN outputs NaN and routes δ to it, to the first NaN in
/// row-major order when there are several (PyTorch's CPU kernel keeps the last one; only where δ goes differs).
/// The argmax of the last Forward is cached (flat index within the input plane, as PyTorch's <c>return_indices</c>).
/// </summary>
public abstract class MaxPool : PoolingND
{
    private int[] _argmax = [];
    private int _outputs;

    /// <summary>Creates the layer.</summary>
    /// <param name="name">Type name.</param>
    /// <param name="spatialRank">1, 2 or 3.</param>
    /// <param name="kernelSize">Window per dimension.</param>
    /// <param name="stride">Stride per dimension (default: the kernel).</param>
    /// <param name="padding">Symmetric padding per dimension (default 0).</param>
    private protected MaxPool(string name, int spatialRank, int[] kernelSize, int[]? stride, int[]? padding)
        : base(name, spatialRank, kernelSize, stride, padding)
    {
    }

    /// <summary>The argmax of every output of the last Forward: a flat index inside the sample's input plane.</summary>
    public ReadOnlySpan<int> ArgMax => _argmax.AsSpan(0, _outputs);

    /// <inheritdoc />
    protected override void ForwardCore(Tensor input, Tensor output)
    {
        var g = Geometry(input, output);
        if (_argmax.Length < output.Length)
        {
            _argmax = new int[output.Length];
        }

        _outputs = output.Length;
        RunPlanes(input, output, null, null, g);
    }

    /// <inheritdoc />
    private protected override void Planes(Tensor input, Tensor output, Tensor? outputGradient, Tensor? inputGradient, in PoolGeometry g, int p0, int p1)
    {
        if (inputGradient is not null)
        {
            BackwardPlanes(outputGradient!.AsSpan(), inputGradient.AsSpan(), g, p0, p1);
        }
        else
        {
            ForwardPlanes(input.AsSpan(), output.AsSpan(), g, p0, p1);
        }
    }

    private void ForwardPlanes(ReadOnlySpan<float> x, Span<float> y, in PoolGeometry g, int p0, int p1)
    {
        if (g.PD == 0 && g.PH == 0 && g.PW == 0 && g.KD == 1 && g.KH == 2 && g.KW == 2)
        {
            Forward2x2(x, y, g, p0, p1);
            return;
        }

        int o = p0 * g.OutputPlane;
        for (int plane = p0; plane < p1; plane++)
        {
            ReadOnlySpan<float> xp = x.Slice(plane * g.InputPlane, g.InputPlane);
            for (int od = 0; od < g.OD; od++)
            {
                int d0 = (od * g.SD) - g.PD, d1 = Math.Min(d0 + g.KD, g.D);
                d0 = Math.Max(d0, 0);
                for (int oh = 0; oh < g.OH; oh++)
                {
                    int h0 = (oh * g.SH) - g.PH, h1 = Math.Min(h0 + g.KH, g.H);
                    h0 = Math.Max(h0, 0);
                    for (int ow = 0; ow < g.OW; ow++, o++)
                    {
                        int w0 = (ow * g.SW) - g.PW, w1 = Math.Min(w0 + g.KW, g.W);
                        w0 = Math.Max(w0, 0);
                        float best = float.NegativeInfinity;
                        int arg = (((d0 * g.H) + h0) * g.W) + w0;
                        for (int d = d0; d < d1; d++)
                        {
                            for (int h = h0; h < h1; h++)
                            {
                                int row = ((d * g.H) + h) * g.W;
                                for (int w = w0; w < w1; w++)
                                {
                                    // Taken when larger, or a NaN while none is held yet: the first NaN sticks.
                                    float v = xp[row + w];
                                    if (!(v <= best) && !float.IsNaN(best))
                                    {
                                        best = v;
                                        arg = row + w;
                                    }
                                }
                            }
                        }

                        y[o] = best == float.NegativeInfinity ? xp[arg] : best;
                        _argmax[o] = arg;
                    }
                }
            }
        }
    }

    /// <summary>The common 2×2 window without padding: no clipping, four loads and three selections per output, same
    /// tie and NaN rules (first maximum, or first NaN, in row-major order).</summary>
    private void Forward2x2(ReadOnlySpan<float> x, Span<float> y, in PoolGeometry g, int p0, int p1)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        ref int ar = ref MemoryMarshal.GetArrayDataReference(_argmax);
        bool v512 = Avx512F.IsSupported && g.SH == 2 && g.SW == 2;
        int w = Kernels.MaxPoolRow.Width;
        bool vector = !v512 && w > 0 && g.SH == 2 && g.SW == 2;
        int o = p0 * g.OutputPlane, outEnd = p1 * g.OutputPlane;
        for (int plane = p0; plane < p1; plane++)
        {
            ref float xp = ref Unsafe.Add(ref xr, plane * g.InputPlane);
            for (int od = 0; od < g.OD; od++)
            {
                int d = od * g.SD;
                for (int oh = 0; oh < g.OH; oh++)
                {
                    int row0 = ((d * g.H) + (oh * g.SH)) * g.W, row1 = row0 + g.W;
                    if (v512 && Row2x2Avx512(ref xp, row0, row1, (plane * g.InputPlane) + row1 + 32 <= x.Length,
                        ref Unsafe.Add(ref yr, o), ref Unsafe.Add(ref ar, o), g.OW, o + 16 <= outEnd))
                    {
                        o += g.OW;
                        continue;
                    }

                    if (vector && Kernels.MaxPoolRow.Run(ref xp, row0, row1, (plane * g.InputPlane) + row1 + (2 * w) <= x.Length,
                        ref Unsafe.Add(ref yr, o), ref Unsafe.Add(ref ar, o), g.OW, o + w <= outEnd))
                    {
                        o += g.OW;
                        continue;
                    }

                    for (int ow = 0; ow < g.OW; ow++, o++)
                    {
                        int c0 = row0 + (ow * g.SW), c2 = row1 + (ow * g.SW);
                        // Branch-free (the comparisons are data-dependent and would mispredict half the time):
                        // a −1/0 mask from the comparison selects the bits of the new maximum and its index.
                        float best = Unsafe.Add(ref xp, c0);
                        int arg = c0;
                        Take(ref best, ref arg, Unsafe.Add(ref xp, c0 + 1), c0 + 1);
                        Take(ref best, ref arg, Unsafe.Add(ref xp, c2), c2);
                        Take(ref best, ref arg, Unsafe.Add(ref xp, c2 + 1), c2 + 1);
                        Unsafe.Add(ref yr, o) = best;
                        Unsafe.Add(ref ar, o) = arg;
                    }
                }
            }
        }
    }

    /// <summary>
    /// One output row of the 2×2, stride-2 window with AVX-512: 32 inputs of each input row are split into even and odd
    /// columns (vpermt2ps), then the same four-way first-maximum selection as the scalar code, 16 outputs at a time. A
    /// row narrower than 16 outputs reads past its end and writes the next outputs (recomputed later in order), so it
    /// is taken only where that stays inside both tensors; a wider row ends with a block moved back to its end.
    /// Returns false when the scalar loop must do the row.
    /// </summary>
    private static bool Row2x2Avx512(ref float xp, int row0, int row1, bool canOverRead, ref float y, ref int arg, int ow, bool canOverWrite)
    {
        if (ow < 16 && !(canOverRead && canOverWrite))
        {
            return false;
        }

        var evens = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var odds = evens + Vector512<int>.One;
        for (int j = 0; ;)
        {
            ref float a = ref Unsafe.Add(ref xp, row0 + (2 * j));
            ref float b = ref Unsafe.Add(ref xp, row1 + (2 * j));
            var a0 = Vector512.LoadUnsafe(ref a);
            var a1 = Vector512.LoadUnsafe(ref a, 16);
            var b0 = Vector512.LoadUnsafe(ref b);
            var b1 = Vector512.LoadUnsafe(ref b, 16);
            var best = Avx512F.PermuteVar16x32x2(a0, evens, a1);
            var index = Vector512.Create(row0 + (2 * j)) + evens;
            Take(ref best, ref index, Avx512F.PermuteVar16x32x2(a0, odds, a1), Vector512.Create(row0 + (2 * j)) + odds);
            Take(ref best, ref index, Avx512F.PermuteVar16x32x2(b0, evens, b1), Vector512.Create(row1 + (2 * j)) + evens);
            Take(ref best, ref index, Avx512F.PermuteVar16x32x2(b0, odds, b1), Vector512.Create(row1 + (2 * j)) + odds);
            best.StoreUnsafe(ref y, (nuint)j);
            index.StoreUnsafe(ref arg, (nuint)j);
            if (j + 16 >= ow)
            {
                return true;
            }

            j = Math.Min(j + 16, ow - 16);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Take(ref Vector512<float> best, ref Vector512<int> index, Vector512<float> v, Vector512<int> at)
    {
        // v > best, or v is NaN, and best is not NaN (best == best): the first NaN of the window sticks.
        var mask = Vector512.AndNot(Vector512.Equals(best, best), Vector512.LessThanOrEqual(v, best));
        best = Vector512.ConditionalSelect(mask, v, best);
        index = Vector512.ConditionalSelect(mask.AsInt32(), at, index);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Take(ref float best, ref int arg, float v, int index)
    {
        // As the vector Take: taken when v > best or v is NaN, unless best already is NaN.
        int mask = -Unsafe.BitCast<bool, byte>(!(v <= best) & !float.IsNaN(best));
        int bits = BitConverter.SingleToInt32Bits(best);
        best = BitConverter.Int32BitsToSingle(bits ^ ((bits ^ BitConverter.SingleToInt32Bits(v)) & mask));
        arg ^= (arg ^ index) & mask;
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

    /// <summary>δ^(l−1) = 0, then δ^(l−1)[argmax] += δ^(l), for planes [p0, p1).</summary>
    private void BackwardPlanes(ReadOnlySpan<float> dy, Span<float> dx, in PoolGeometry g, int p0, int p1)
    {
        int outPlane = g.OutputPlane;
        dx.Slice(p0 * g.InputPlane, (p1 - p0) * g.InputPlane).Clear();
        for (int plane = p0; plane < p1; plane++)
        {
            int xBase = plane * g.InputPlane, yBase = plane * outPlane;
            for (int o = 0; o < outPlane; o++)
            {
                dx[xBase + _argmax[yBase + o]] += dy[yBase + o];
            }
        }
    }
}
