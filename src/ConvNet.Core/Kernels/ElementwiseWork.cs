using System;

namespace ConvNet.Kernels;

/// <summary>An element-wise layer kernel over the flat range [start, end) of its tensors.</summary>
internal interface IElementwiseKernel
{
    /// <summary>Forward (<paramref name="dx"/> null): y = f(x). Backward: dx from x, y and dy.</summary>
    void Range(Tensor x, Tensor y, Tensor? dy, Tensor? dx, int start, int end);
}

/// <summary>
/// Splits an element-wise kernel into contiguous ranges (whole 16-float blocks) over the worker pool when the tensor is
/// large enough to pay for the hand-off; element-wise results do not depend on the split.
/// </summary>
internal sealed class ElementwiseWork(IElementwiseKernel kernel) : ParallelWork
{
    /// <summary>Below this many elements per part the kernel runs on the calling thread.</summary>
    private const int MinPerPart = 1 << 15;
    private Tensor? _x, _y, _dy, _dx;
    private int _parts;

    /// <summary>Runs the kernel over the whole tensor on up to <paramref name="degreeOfParallelism"/> threads.</summary>
    public void Run(Tensor x, Tensor y, Tensor? dy, Tensor? dx, int degreeOfParallelism)
    {
        int parts = Math.Min(degreeOfParallelism, x.Length / MinPerPart);
        if (parts <= 1)
        {
            kernel.Range(x, y, dy, dx, 0, x.Length);
            return;
        }

        (_x, _y, _dy, _dx, _parts) = (x, y, dy, dx, parts);
        try
        {
            WorkerPool.Run(this, parts, degreeOfParallelism);
        }
        finally
        {
            _x = _y = _dy = _dx = null;
        }
    }

    /// <inheritdoc />
    public override void Execute(int index)
    {
        int length = _x!.Length, blocks = (length + 15) / 16;
        int start = Math.Min(length, (int)((long)blocks * index / _parts) * 16);
        int end = Math.Min(length, (int)((long)blocks * (index + 1) / _parts) * 16);
        kernel.Range(_x, _y!, _dy, _dx, start, end);
    }
}
