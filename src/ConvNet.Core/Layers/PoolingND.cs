using System;
using ConvNet.Kernels;

namespace ConvNet.Layers;

/// <summary>
/// The shared N-d (1..3) pooling layer behind the max and average pooling types ("Pooling" in the lecture's
/// Hubel–Wiesel architecture: complex cells pool simple cells over a neighbourhood). Each channel is pooled on its own
/// over windows of <see cref="KernelSize"/> moved by <see cref="Stride"/> (default: the kernel), after optional symmetric
/// <see cref="Padding"/> (at most half the kernel, as PyTorch; −∞ for max pooling, zeros for average pooling). Floor mode: a window running past the end is dropped,
/// so the output length is ⌊(L + 2p − k)/s⌋ + 1.
/// </summary>
public abstract class PoolingND : Layer
{
    private readonly int[] _kernel;
    private readonly int[] _stride;
    private readonly int[] _padding;
    private const long ParallelThreshold = 1 << 16;
    private PlaneWork? _work;

    /// <summary>Creates the layer.</summary>
    /// <param name="name">Type name for messages.</param>
    /// <param name="spatialRank">1, 2 or 3.</param>
    /// <param name="kernelSize">Window per dimension (one value for all, or one each).</param>
    /// <param name="stride">Stride per dimension; null means the kernel size.</param>
    /// <param name="padding">Symmetric padding per dimension; null means 0.</param>
    protected PoolingND(string name, int spatialRank, int[] kernelSize, int[]? stride, int[]? padding)
        : base(name)
    {
        SpatialRank = spatialRank;
        _kernel = Expand(kernelSize, nameof(kernelSize), 1);
        _stride = Expand(stride ?? _kernel, nameof(stride), 1);
        _padding = Expand(padding ?? [0], nameof(padding), 0);
        long window = 1;
        for (int i = 0; i < spatialRank; i++)
        {
            if (_padding[i] > _kernel[i] / 2)
            {
                ThrowHelper.Argument(nameof(padding), $"{name}: padding {_padding[i]} must be at most half the kernel size {_kernel[i]}.");
            }

            // 64-bit, bounded after every factor: the window's element count (the average's divisor) fits in int.
            window *= _kernel[i];
            if (window > int.MaxValue)
            {
                ThrowHelper.Argument(nameof(kernelSize), $"{name}: a window of {ThrowHelper.Shape(_kernel)} has more than {int.MaxValue} elements.");
            }
        }

        WindowSize = (int)window;
    }

    /// <summary>The per-dimension amounts of a pooling padding: none, or symmetric explicit amounts (one for all
    /// dimensions or one each), as PyTorch's pools take them.</summary>
    private protected static int[]? PoolPadding(Padding? padding, int spatialRank, string name)
    {
        if (padding is null || padding.Mode == PaddingMode.Valid)
        {
            return null;
        }

        if (padding.Mode != PaddingMode.Explicit)
        {
            ThrowHelper.Argument(nameof(padding), $"{name}: pooling takes explicit symmetric padding (an int, or Padding.Symmetric), as PyTorch's pools; {padding} is a convolution padding.");
        }

        var amounts = padding.Amounts;
        var result = new int[amounts.Length];
        for (int i = 0; i < amounts.Length; i++)
        {
            if (amounts[i].Before != amounts[i].After)
            {
                ThrowHelper.Argument(nameof(padding), $"{name}: pooling padding must be the same before and after (PyTorch's pools); actual {padding}.");
            }

            result[i] = amounts[i].Before;
        }

        if (result.Length != 1 && result.Length != spatialRank)
        {
            ThrowHelper.Argument(nameof(padding), $"{name}: give one padding amount, or one per spatial dimension ({spatialRank}); actual {result.Length}.");
        }

        return result;
    }

    /// <summary>Number of spatial dimensions.</summary>
    public int SpatialRank { get; }

    /// <summary>Window size per dimension.</summary>
    public ReadOnlySpan<int> KernelSize => _kernel;

    /// <summary>Stride per dimension.</summary>
    public ReadOnlySpan<int> Stride => _stride;

    /// <summary>
    /// Symmetric implicit padding per dimension (at most half the window), as PyTorch's pooling layers: it only lets
    /// windows start before the first element and end after the last. Max pooling pads with −∞, so a padded position
    /// never wins (it is ignored); average pooling pads with zeros that count in the divisor, which is always the full
    /// window Π kernel (PyTorch's default <c>count_include_pad=True</c>; in floor mode no window runs past the padding).
    /// </summary>
    public ReadOnlySpan<int> Padding => _padding;

    /// <summary>The number of elements of one window, Π <see cref="KernelSize"/> (at most <see cref="int.MaxValue"/>).</summary>
    private protected int WindowSize { get; }

    /// <summary>Geometry padded to 3-D: input D×H×W, kernel, stride, padding and output.</summary>
    private protected readonly record struct PoolGeometry(
        int Planes, int D, int H, int W, int KD, int KH, int KW, int SD, int SH, int SW, int PD, int PH, int PW, int OD, int OH, int OW)
    {
        public int InputPlane => D * H * W;

        public int OutputPlane => OD * OH * OW;
    }

    /// <inheritdoc />
    public override void WriteConfig(Serialization.LayerConfigWriter config)
    {
        ThrowHelper.NotNull(config, nameof(config));
        config.Write("kernel", KernelSize);
        config.Write("stride", Stride);
        config.Write("padding", Padding);
    }

    /// <inheritdoc />
    public override int[] GetOutputShape(ReadOnlySpan<int> inputShape)
    {
        if (inputShape.Length != 1 + SpatialRank)
        {
            Fail(nameof(inputShape), $"expects per-sample input [C, spatial…] of rank {1 + SpatialRank}; actual {ThrowHelper.Shape(inputShape)}.");
        }

        for (int i = 0; i < inputShape.Length; i++)
        {
            if (inputShape[i] <= 0)
            {
                Fail(nameof(inputShape), $"every dimension must be positive; actual {ThrowHelper.Shape(inputShape)}.");
            }
        }

        var result = new int[1 + SpatialRank];
        result[0] = inputShape[0];
        long count = inputShape[0];
        for (int i = 0; i < SpatialRank; i++)
        {
            // 64-bit: L + 2p can exceed int (the kernels index the padded extent in int, so it must fit).
            long padded = inputShape[1 + i] + (2L * _padding[i]);
            if (padded > int.MaxValue)
            {
                Fail(nameof(inputShape), $"spatial size {inputShape[1 + i]} padded by {_padding[i]} on each side along dimension {i} is {padded}, more than int holds (input {ThrowHelper.Shape(inputShape)}).");
            }

            if (padded < _kernel[i])
            {
                Fail(nameof(inputShape), $"spatial size {inputShape[1 + i]} along dimension {i} is smaller than the window {_kernel[i]} (input {ThrowHelper.Shape(inputShape)}).");
            }

            result[1 + i] = (int)((padded - _kernel[i]) / _stride[i]) + 1;
            count *= result[1 + i];
            if (count > Array.MaxLength)
            {
                Fail(nameof(inputShape), $"the per-sample output for input {ThrowHelper.Shape(inputShape)} has more elements than an array can hold.");
            }
        }

        return result;
    }

    private protected PoolGeometry Geometry(Tensor input, Tensor output)
    {
        Span<int> len = [1, 1, 1], k = [1, 1, 1], s = [1, 1, 1], p = [0, 0, 0], o = [1, 1, 1];
        int off = 3 - SpatialRank;
        for (int i = 0; i < SpatialRank; i++)
        {
            len[off + i] = input.Shape[2 + i];
            o[off + i] = output.Shape[2 + i];
            k[off + i] = _kernel[i];
            s[off + i] = _stride[i];
            p[off + i] = _padding[i];
        }

        return new PoolGeometry(input.Shape[0] * input.Shape[1], len[0], len[1], len[2], k[0], k[1], k[2], s[0], s[1], s[2], p[0], p[1], p[2], o[0], o[1], o[2]);
    }

    private int[] Expand(int[] values, string name, int min)
    {
        ThrowHelper.NotNull(values, name);
        if (values.Length != 1 && values.Length != SpatialRank)
        {
            ThrowHelper.Argument(name, $"{Name}: {name} needs 1 or {SpatialRank} values; actual {values.Length}.");
        }

        var r = new int[SpatialRank];
        for (int i = 0; i < SpatialRank; i++)
        {
            r[i] = values.Length == 1 ? values[0] : values[i];
            if (r[i] < min)
            {
                ThrowHelper.OutOfRange(name, r[i], $"{Name}: {name} must be ≥ {min}; actual {ThrowHelper.Shape(values)}.");
            }
        }

        return r;
    }

    /// <summary>The layer's work for planes [p0, p1): forward when <paramref name="inputGradient"/> is null.</summary>
    private protected abstract void Planes(Tensor input, Tensor output, Tensor? outputGradient, Tensor? inputGradient, in PoolGeometry g, int p0, int p1);

    /// <summary>Planes (sample, channel) are independent: split them over the worker pool when the tensor is large.</summary>
    private protected void RunPlanes(Tensor x, Tensor y, Tensor? dy, Tensor? dx, in PoolGeometry g)
    {
        int parts = Math.Min(DegreeOfParallelism, g.Planes);
        if (parts <= 1 || (long)g.Planes * g.InputPlane < ParallelThreshold)
        {
            Planes(x, y, dy, dx, g, 0, g.Planes);
            return;
        }

        var work = _work ??= new PlaneWork(this);
        work.Set(x, y, dy, dx, g, parts);
        try
        {
            WorkerPool.Run(work, parts, DegreeOfParallelism);
        }
        finally
        {
            work.Clear();
        }
    }

    private sealed class PlaneWork(PoolingND layer) : ParallelWork
    {
        private Tensor? _x, _y, _dy, _dx;
        private PoolGeometry _g;
        private int _parts;

        public void Set(Tensor x, Tensor y, Tensor? dy, Tensor? dx, in PoolGeometry g, int parts)
        {
            (_x, _y, _dy, _dx, _g, _parts) = (x, y, dy, dx, g, parts);
        }

        public void Clear() => _x = _y = _dy = _dx = null;

        public override void Execute(int index)
        {
            int p0 = (int)((long)_g.Planes * index / _parts), p1 = (int)((long)_g.Planes * (index + 1) / _parts);
            layer.Planes(_x!, _y!, _dy, _dx, _g, p0, p1);
        }
    }
}
