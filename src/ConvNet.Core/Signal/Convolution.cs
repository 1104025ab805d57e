using System;
using ConvNet.Kernels;

namespace ConvNet.Signal;

/// <summary>
/// The lecture's convolution math for 1-D, 2-D and 3-D data, with results identical to
/// <c>scipy.signal.convolve</c> / <c>scipy.signal.correlate</c> (method 'direct').
/// </summary>
/// <remarks>
/// <para>Convolution (lecture "2D convolution"): h[m, n] = (f * g)[m, n] = Σ_{k1} Σ_{k2} f[m − k1, n − k2] · g[k1, k2].</para>
/// <para>Correlation ("Relationship between similarity and convolution"): corr(f, g) = f * rot180(g), i.e.
/// z[m] = Σ_n f[m + n] · g[n] in 'valid' mode.</para>
/// <para>Shapes per dimension for a signal of size M and a kernel of size K: full M + K − 1, same M, valid M − K + 1.
/// 'same' is cut from the full result at (K − 1) // 2 (scipy); MATLAB's <c>conv2(..., 'same')</c> cuts at floor(K / 2),
/// one element later for even K — choose it with <see cref="SameAlignment.Matlab"/>. A kernel larger than the signal is
/// allowed in 'full' and 'same'. In 'valid', a kernel larger than the signal in every dimension swaps the roles of the
/// two inputs as scipy does (convolution commutes; correlation then returns the reverse of corr(g, f)); a kernel larger in
/// some dimensions and smaller in others is an error, as in scipy.</para>
/// <para>The span overloads allocate nothing. They validate every shape in 64-bit arithmetic before reading or writing
/// anything (each dimension positive, each element count at most <see cref="Array.MaxLength"/> and equal to its span's
/// length), and reject a destination whose written part overlaps an input (<see cref="MemoryExtensions.Overlaps{T}(ReadOnlySpan{T}, ReadOnlySpan{T})"/>)
/// with an <see cref="ArgumentException"/>; the destination is then left untouched.</para>
/// </remarks>
public static class Convolution
{
    /// <summary>Computes the output shape of a convolution or correlation.</summary>
    /// <param name="signalShape">Shape of f (rank 1..3).</param>
    /// <param name="kernelShape">Shape of g (same rank).</param>
    /// <param name="mode">Full, Same or Valid.</param>
    /// <returns>The output shape: M + K − 1, M, or M − K + 1 (|M − K| + 1 when the inputs are swapped) per dimension.</returns>
    public static int[] OutputShape(ReadOnlySpan<int> signalShape, ReadOnlySpan<int> kernelShape, ConvolutionMode mode)
    {
        Span<int> shape = stackalloc int[3];
        int rank = Plan(signalShape, kernelShape, mode, SameAlignment.SciPy, shape, default, out _);
        return shape[..rank].ToArray();
    }

    /// <summary>Convolves f with g: h = f * g (lecture "1D/2D/3D convolution"), writing into <paramref name="destination"/>.</summary>
    /// <param name="signal">f, row-major.</param>
    /// <param name="signalShape">Shape of f (rank 1..3).</param>
    /// <param name="kernel">g, row-major.</param>
    /// <param name="kernelShape">Shape of g (same rank as f).</param>
    /// <param name="destination">At least Π <see cref="OutputShape"/> elements; the first that many are written and must not overlap the signal or the kernel.</param>
    /// <param name="mode">Full, Same or Valid.</param>
    /// <param name="alignment">Where 'same' is cut from the full result (scipy by default).</param>
    public static void Convolve(ReadOnlySpan<float> signal, ReadOnlySpan<int> signalShape, ReadOnlySpan<float> kernel,
        ReadOnlySpan<int> kernelShape, Span<float> destination, ConvolutionMode mode = ConvolutionMode.Full,
        SameAlignment alignment = SameAlignment.SciPy) =>
        Run(signal, signalShape, kernel, kernelShape, destination, mode, alignment, correlate: false);

    /// <summary>Correlates f with g: z = f * rot180(g) ("similarity" in the lecture), writing into <paramref name="destination"/>.</summary>
    /// <param name="signal">f, row-major.</param>
    /// <param name="signalShape">Shape of f (rank 1..3).</param>
    /// <param name="kernel">g, row-major.</param>
    /// <param name="kernelShape">Shape of g (same rank as f).</param>
    /// <param name="destination">At least Π <see cref="OutputShape"/> elements; the first that many are written and must not overlap the signal or the kernel.</param>
    /// <param name="mode">Full, Same or Valid.</param>
    /// <param name="alignment">Where 'same' is cut from the full result (scipy by default).</param>
    public static void Correlate(ReadOnlySpan<float> signal, ReadOnlySpan<int> signalShape, ReadOnlySpan<float> kernel,
        ReadOnlySpan<int> kernelShape, Span<float> destination, ConvolutionMode mode = ConvolutionMode.Full,
        SameAlignment alignment = SameAlignment.SciPy) =>
        Run(signal, signalShape, kernel, kernelShape, destination, mode, alignment, correlate: true);

    /// <summary>Convolves two 1-D sequences: (f * g)[m] = Σ_n f[m − n] g[n].</summary>
    /// <param name="f">The signal.</param>
    /// <param name="g">The kernel.</param>
    /// <param name="mode">Full, Same or Valid.</param>
    /// <returns>A new array with the result.</returns>
    public static float[] Convolve(ReadOnlySpan<float> f, ReadOnlySpan<float> g, ConvolutionMode mode = ConvolutionMode.Full)
    {
        ReadOnlySpan<int> fs = [f.Length], gs = [g.Length];
        var result = new float[Product(OutputShape(fs, gs, mode))];
        Convolve(f, fs, g, gs, result, mode);
        return result;
    }

    /// <summary>Correlates two 1-D sequences: z = f * rot180(g); in 'valid' mode z[m] = Σ_n f[m + n] g[n].</summary>
    /// <param name="f">The signal.</param>
    /// <param name="g">The kernel.</param>
    /// <param name="mode">Full, Same or Valid.</param>
    /// <returns>A new array with the result.</returns>
    public static float[] Correlate(ReadOnlySpan<float> f, ReadOnlySpan<float> g, ConvolutionMode mode = ConvolutionMode.Full)
    {
        ReadOnlySpan<int> fs = [f.Length], gs = [g.Length];
        var result = new float[Product(OutputShape(fs, gs, mode))];
        Correlate(f, fs, g, gs, result, mode);
        return result;
    }

    /// <summary>Convolves two tensors of equal rank (1..3): h = f * g.</summary>
    /// <param name="signal">f.</param>
    /// <param name="kernel">g.</param>
    /// <param name="mode">Full, Same or Valid.</param>
    /// <param name="alignment">Where 'same' is cut from the full result (scipy by default).</param>
    /// <returns>A new tensor with the result.</returns>
    public static Tensor Convolve(Tensor signal, Tensor kernel, ConvolutionMode mode = ConvolutionMode.Full,
        SameAlignment alignment = SameAlignment.SciPy)
    {
        ThrowHelper.NotNull(signal, nameof(signal));
        ThrowHelper.NotNull(kernel, nameof(kernel));
        var result = new Tensor(OutputShape(signal.Shape, kernel.Shape, mode));
        Convolve(signal.AsSpan(), signal.Shape, kernel.AsSpan(), kernel.Shape, result.AsSpan(), mode, alignment);
        return result;
    }

    /// <summary>Correlates two tensors of equal rank (1..3): z = f * rot180(g) (flip012 in 3-D).</summary>
    /// <param name="signal">f.</param>
    /// <param name="kernel">g.</param>
    /// <param name="mode">Full, Same or Valid.</param>
    /// <param name="alignment">Where 'same' is cut from the full result (scipy by default).</param>
    /// <returns>A new tensor with the result.</returns>
    public static Tensor Correlate(Tensor signal, Tensor kernel, ConvolutionMode mode = ConvolutionMode.Full,
        SameAlignment alignment = SameAlignment.SciPy)
    {
        ThrowHelper.NotNull(signal, nameof(signal));
        ThrowHelper.NotNull(kernel, nameof(kernel));
        var result = new Tensor(OutputShape(signal.Shape, kernel.Shape, mode));
        Correlate(signal.AsSpan(), signal.Shape, kernel.AsSpan(), kernel.Shape, result.AsSpan(), mode, alignment);
        return result;
    }

    /// <summary>
    /// rot180 of a matrix (lecture: <c>numpy.rot90</c> applied twice): flips axis 0 then axis 1, g̃[i, j] = g[M−1−i, N−1−j].
    /// </summary>
    /// <param name="matrix">A rank-2 tensor.</param>
    /// <returns>A new, rotated tensor.</returns>
    public static Tensor Rot180(Tensor matrix)
    {
        ThrowHelper.NotNull(matrix, nameof(matrix));
        if (matrix.Rank != 2)
        {
            ThrowHelper.Argument(nameof(matrix), $"Rot180 takes a rank-2 tensor; actual shape {ThrowHelper.Shape(matrix.Shape)}. Use Flip for other ranks.");
        }

        return Flip(matrix);
    }

    /// <summary>
    /// Flips along every axis (rot180 in 2-D, the lecture's flip012 in 3-D): out[i] = x[shape − 1 − i].
    /// </summary>
    /// <param name="tensor">Any tensor.</param>
    /// <returns>A new, flipped tensor.</returns>
    public static Tensor Flip(Tensor tensor)
    {
        ThrowHelper.NotNull(tensor, nameof(tensor));
        var result = new Tensor(tensor.Shape.ToArray());
        tensor.AsSpan().CopyTo(result.AsSpan());
        result.AsSpan().Reverse();
        return result;
    }

    /// <summary>Flips along the chosen axes only (numpy.flip with an axis tuple).</summary>
    /// <param name="tensor">Any tensor.</param>
    /// <param name="axes">Distinct axes in 0..Rank−1 (negative counts from the end).</param>
    /// <returns>A new, flipped tensor.</returns>
    public static Tensor Flip(Tensor tensor, params int[] axes)
    {
        ThrowHelper.NotNull(tensor, nameof(tensor));
        ThrowHelper.NotNull(axes, nameof(axes));
        var result = new Tensor(tensor.Shape.ToArray());
        Flip(tensor.AsSpan(), tensor.Shape, result.AsSpan(), axes);
        return result;
    }

    /// <summary>Flips <paramref name="source"/> of the given shape along <paramref name="axes"/> into <paramref name="destination"/>.</summary>
    /// <param name="source">Row-major input.</param>
    /// <param name="shape">Its shape (rank 1..5).</param>
    /// <param name="destination">At least as long as the source; its first Π shape elements are written and must not overlap the source.</param>
    /// <param name="axes">Distinct axes to flip (negative counts from the end); empty flips nothing.</param>
    public static void Flip(ReadOnlySpan<float> source, ReadOnlySpan<int> shape, Span<float> destination, ReadOnlySpan<int> axes)
    {
        int length = Tensor.ValidateShape(shape, nameof(shape));
        if (source.Length != length)
        {
            ThrowHelper.Argument(nameof(source), $"Data length {source.Length} does not match shape {ThrowHelper.Shape(shape)} (expected {length}).");
        }

        if (destination.Length < length)
        {
            ThrowHelper.Argument(nameof(destination), $"Destination too short: expected at least {length} elements for shape {ThrowHelper.Shape(shape)}, actual {destination.Length}.");
        }

        if (((ReadOnlySpan<float>)destination[..length]).Overlaps(source))
        {
            ThrowHelper.Argument(nameof(destination), "The destination must not overlap the source: the flip would read values it has already overwritten.");
        }

        int rank = shape.Length;
        Span<bool> flip = stackalloc bool[Tensor.MaxRank];
        foreach (int axis in axes)
        {
            int a = axis < 0 ? axis + rank : axis;
            if ((uint)a >= (uint)rank || flip[a])
            {
                ThrowHelper.Argument(nameof(axes), $"Axis {axis} is out of range or repeated for a rank-{rank} shape {ThrowHelper.Shape(shape)}.");
            }

            flip[a] = true;
        }

        Span<int> idx = stackalloc int[Tensor.MaxRank];
        Span<int> stride = stackalloc int[Tensor.MaxRank];
        stride[rank - 1] = 1;
        for (int a = rank - 2; a >= 0; a--)
        {
            stride[a] = stride[a + 1] * shape[a + 1];
        }

        for (int i = 0; i < length; i++)
        {
            int rem = i, src = 0;
            for (int a = 0; a < rank; a++)
            {
                idx[a] = rem / stride[a];
                rem -= idx[a] * stride[a];
                src += (flip[a] ? shape[a] - 1 - idx[a] : idx[a]) * stride[a];
            }

            destination[i] = source[src];
        }
    }

    private static void Run(ReadOnlySpan<float> signal, ReadOnlySpan<int> signalShape, ReadOnlySpan<float> kernel,
        ReadOnlySpan<int> kernelShape, Span<float> destination, ConvolutionMode mode, SameAlignment alignment, bool correlate)
    {
        // Everything the unchecked loops rely on is validated here, in 64-bit arithmetic, before anything is read or
        // written: each shape's element count (Plan) equals its span's length, the destination holds the result, and
        // the written part of the destination shares no memory with either input.
        Span<int> outShape = stackalloc int[3];
        Span<int> start = stackalloc int[3];
        int rank = Plan(signalShape, kernelShape, mode, alignment, outShape, start, out bool swapped);
        int signalLength = Product(signalShape), kernelLength = Product(kernelShape), outLength = Product(outShape[..rank]);
        if (signal.Length != signalLength)
        {
            ThrowHelper.Argument(nameof(signal), $"Signal length {signal.Length} does not match its shape {ThrowHelper.Shape(signalShape)} (expected {signalLength}).");
        }

        if (kernel.Length != kernelLength)
        {
            ThrowHelper.Argument(nameof(kernel), $"Kernel length {kernel.Length} does not match its shape {ThrowHelper.Shape(kernelShape)} (expected {kernelLength}).");
        }

        if (destination.Length < outLength)
        {
            ThrowHelper.Argument(nameof(destination), $"Destination too short: the {mode} result has shape {ThrowHelper.Shape(outShape[..rank])} = {outLength} elements, destination has {destination.Length}.");
        }

        Span<float> dst = destination[..outLength];
        if (((ReadOnlySpan<float>)dst).Overlaps(signal))
        {
            ThrowHelper.Argument(nameof(destination), "The destination must not overlap the signal: the result would read values it has already overwritten.");
        }

        if (((ReadOnlySpan<float>)dst).Overlaps(kernel))
        {
            ThrowHelper.Argument(nameof(destination), "The destination must not overlap the kernel: the result would read values it has already overwritten.");
        }

        // Pad to 3-D: leading dimensions of size 1.
        Span<int> m = [1, 1, 1], k = [1, 1, 1], o = [1, 1, 1], s = [0, 0, 0];
        for (int i = 0; i < rank; i++)
        {
            m[3 - rank + i] = swapped ? kernelShape[i] : signalShape[i];
            k[3 - rank + i] = swapped ? signalShape[i] : kernelShape[i];
            o[3 - rank + i] = outShape[i];
            s[3 - rank + i] = start[i];
        }

        // out[o] = full[o + start], full[j] = Σ_k x[j − k]·g[k] = Σ_k' x[j − (K−1) + k']·g[K−1−k'].
        var geo = new DirectConvolution.Geometry(m[0], m[1], m[2], k[0], k[1], k[2], o[0], o[1], o[2],
            s[0] - (k[0] - 1), s[1] - (k[1] - 1), s[2] - (k[2] - 1));
        if (!swapped)
        {
            // Convolution reads g backwards; correlation (= convolution with rot180(g)) reads it forwards.
            DirectConvolution.Run(signal, kernel, dst, geo, reverseKernel: !correlate);
        }
        else if (!correlate)
        {
            DirectConvolution.Run(kernel, signal, dst, geo, reverseKernel: true);
        }
        else
        {
            // scipy: correlate(f, g, 'valid') with g larger = conv(rot(g), f, 'valid') = reverse of corr(g, f, 'valid').
            geo = geo with { OffD = 0, OffH = 0, OffW = 0 };
            DirectConvolution.Run(kernel, signal, dst, geo, reverseKernel: false);
            dst.Reverse();
        }
    }

    /// <summary>Validates shapes and computes the output shape and the start of the cut in the full result.</summary>
    private static int Plan(ReadOnlySpan<int> signalShape, ReadOnlySpan<int> kernelShape, ConvolutionMode mode,
        SameAlignment alignment, Span<int> outShape, Span<int> start, out bool swapped)
    {
        if (signalShape.Length is < 1 or > 3)
        {
            ThrowHelper.Argument(nameof(signalShape), $"Convolution takes 1-D, 2-D or 3-D data; actual signal shape {ThrowHelper.Shape(signalShape)}.");
        }

        if (kernelShape.Length != signalShape.Length)
        {
            ThrowHelper.Argument(nameof(kernelShape), $"Signal and kernel must have the same rank: signal {ThrowHelper.Shape(signalShape)}, kernel {ThrowHelper.Shape(kernelShape)}.");
        }

        if (mode is not (ConvolutionMode.Full or ConvolutionMode.Same or ConvolutionMode.Valid))
        {
            ThrowHelper.OutOfRange(nameof(mode), mode, $"Undefined convolution mode {(int)mode}; expected Full, Same or Valid.");
        }

        if (alignment is not (SameAlignment.SciPy or SameAlignment.Matlab))
        {
            ThrowHelper.OutOfRange(nameof(alignment), alignment, $"Undefined 'same' alignment {(int)alignment}; expected SciPy or Matlab.");
        }

        CheckElementCount(signalShape, nameof(signalShape), "signal");
        CheckElementCount(kernelShape, nameof(kernelShape), "kernel");

        swapped = false;
        if (mode == ConvolutionMode.Valid)
        {
            bool signalCovers = true, kernelCovers = true;
            for (int i = 0; i < signalShape.Length; i++)
            {
                signalCovers &= signalShape[i] >= kernelShape[i];
                kernelCovers &= kernelShape[i] >= signalShape[i];
            }

            if (!signalCovers && !kernelCovers)
            {
                ThrowHelper.Argument(nameof(kernelShape), $"For 'valid' mode one input must be at least as large as the other in every dimension: signal {ThrowHelper.Shape(signalShape)}, kernel {ThrowHelper.Shape(kernelShape)}.");
            }

            swapped = !signalCovers;
        }

        long outCount = 1;
        for (int i = 0; i < signalShape.Length; i++)
        {
            long mm = signalShape[i], kk = kernelShape[i];
            (long length, long st) = mode switch
            {
                ConvolutionMode.Full => (mm + kk - 1, 0L),
                ConvolutionMode.Same => (mm, alignment == SameAlignment.SciPy ? (kk - 1) / 2 : kk / 2),
                _ => swapped ? (kk - mm + 1, mm - 1) : (mm - kk + 1, kk - 1),
            };

            // Each factor is below 2^32 and the running count stays at most Array.MaxLength: no 64-bit overflow.
            outCount *= length;
            if (length > int.MaxValue || outCount > Array.MaxLength)
            {
                ThrowHelper.Argument(nameof(signalShape), $"The {mode} result of signal {ThrowHelper.Shape(signalShape)} and kernel {ThrowHelper.Shape(kernelShape)} has more elements than an array can hold.");
            }

            outShape[i] = (int)length;
            if (!start.IsEmpty)
            {
                start[i] = (int)st;
            }
        }

        return signalShape.Length;
    }

    /// <summary>Every dimension positive and the element count at most <see cref="Array.MaxLength"/>, checked in 64-bit
    /// arithmetic after every factor so that no product can wrap (a wrapped count could match a short buffer).</summary>
    private static void CheckElementCount(ReadOnlySpan<int> shape, string paramName, string what)
    {
        long count = 1;
        foreach (int d in shape)
        {
            if (d <= 0)
            {
                ThrowHelper.Argument(paramName, $"Every dimension must be positive; {what} shape {ThrowHelper.Shape(shape)}.");
            }

            count *= d;
            if (count > Array.MaxLength)
            {
                ThrowHelper.Argument(paramName, $"The {what} shape {ThrowHelper.Shape(shape)} has more elements than an array can hold.");
            }
        }
    }

    /// <summary>The element count of a shape that <see cref="Plan"/> has validated (so it fits in int).</summary>
    private static int Product(ReadOnlySpan<int> shape)
    {
        int p = 1;
        foreach (int d in shape)
        {
            p = checked(p * d);
        }

        return p;
    }
}
