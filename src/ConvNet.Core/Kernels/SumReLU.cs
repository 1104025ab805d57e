using System;
using System.Numerics.Tensors;
using ConvNet.Layers;

namespace ConvNet.Kernels;

/// <summary>
/// A residual block's sum and the ReLU after it in one pass over the data: z = max(a + b, 0), and backward
/// δ = δz ⊙ [a + b ≥ 0]. Block by block (a few KB, in cache), each block computed by exactly the operations of the
/// unfused layers — TensorPrimitives.Add, then the ReLU layer's TensorPrimitives.Max(·, 0) or its backward — so the
/// results are the same bits; blocks are split over the worker pool.
/// </summary>
internal sealed class SumReLU : IRangeKernel
{
    private const int Block = 2048;
    private readonly RangeWork _work;
    private Tensor? _a, _b, _dz, _out;

    public SumReLU() => _work = new RangeWork(this);

    /// <summary>z = max(a + b, 0).</summary>
    public void Forward(Tensor a, Tensor b, Tensor z, int degreeOfParallelism) => Run(a, b, null, z, degreeOfParallelism);

    /// <summary>δ = δz ⊙ [a + b ≥ 0] (NaN sums pass no gradient, as in the ReLU layer).</summary>
    public void Gate(Tensor a, Tensor b, Tensor dz, Tensor delta, int degreeOfParallelism) => Run(a, b, dz, delta, degreeOfParallelism);

    private void Run(Tensor a, Tensor b, Tensor? dz, Tensor output, int degreeOfParallelism)
    {
        int n = output.Length;
        if (a.Length != n || b.Length != n || (dz is not null && dz.Length != n))
        {
            ThrowHelper.Argument(nameof(output), "The sum's operands, δz and the output must have the same length.");
        }

        (_a, _b, _dz, _out) = (a, b, dz, output);
        try
        {
            _work.Run((int)((n + (long)Block - 1) / Block), n, degreeOfParallelism); // long: n may be near int.MaxValue
        }
        finally
        {
            _a = _b = _dz = _out = null;
        }
    }

    void IRangeKernel.Range(int start, int end)
    {
        int n = _out!.Length;
        Span<float> sum = _dz is null ? default : stackalloc float[Block];
        for (int block = start; block < end; block++)
        {
            int i0 = block * Block, len = Math.Min(Block, n - i0);
            ReadOnlySpan<float> a = _a!.AsSpan().Slice(i0, len), b = _b!.AsSpan().Slice(i0, len);
            Span<float> o = _out.AsSpan().Slice(i0, len);
            if (_dz is null)
            {
                TensorPrimitives.Add(a, b, o);
                TensorPrimitives.Max(o, 0f, o);
            }
            else
            {
                Span<float> s = sum[..len];
                TensorPrimitives.Add(a, b, s);
                ReLU.Backward(s, _dz.AsSpan().Slice(i0, len), o);
            }
        }
    }
}
