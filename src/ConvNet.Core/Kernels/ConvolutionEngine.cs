using System;
using System.Numerics.Tensors;

namespace ConvNet.Kernels;

/// <summary>
/// One way of computing a convolution layer's three products (Y = W·col(x) + b, ∂E/∂W = Σ_n δ_n·col(x_n)ᵀ and
/// δx = the full correlation of δ with the rotated kernel) for one geometry, owning the buffers it needs. A layer
/// picks an engine once per geometry (<see cref="Im2ColEngine"/>, <see cref="ImplicitGemmEngine"/>,
/// <see cref="BlockSparseEngine"/>). The plumbing lives here: samples are split into <see cref="Chunks"/> chunks
/// (fewer for a smaller batch) whatever the thread count, each chunk accumulates its own partial ∂E/∂W and ∂E/∂b, and
/// the partials are added in chunk order, so results do not depend on the thread count (and a convolution keeps at
/// most that many threads busy).
/// </summary>
internal abstract class ConvolutionEngine
{
    /// <summary>The chunks a batch is split into; fixed, so the summation order of ∂E/∂W is too.</summary>
    private const int Chunks = 8;
    private readonly ChunkWork _forward;
    private readonly ChunkWork _backward;
    private float[][] _dw = [];
    private float[][] _db = [];
    private RowsWork? _rows;

    protected ConvolutionEngine(in ConvGeometry geometry, int outChannels, Parameter weight, Parameter? bias)
    {
        Geometry = geometry;
        OutChannels = outChannels;
        Weight = weight;
        Bias = bias;
        _forward = new ChunkWork(this, backward: false);
        _backward = new ChunkWork(this, backward: true);
    }

    /// <summary>The geometry this engine was built for.</summary>
    public ConvGeometry Geometry { get; }

    protected int OutChannels { get; }

    protected Parameter Weight { get; }

    protected Parameter? Bias { get; }

    /// <summary>Floats of one input sample, C·D·H·W.</summary>
    protected int InputVolume => Geometry.C * Geometry.InputVolume;

    /// <summary>Floats of one output sample, Q·OD·OH·OW.</summary>
    protected int OutputVolume => OutChannels * Geometry.OutputVolume;

    // The current call's tensors, set for the duration of one Forward or Backward.
    protected Tensor X { get; private set; } = null!;

    protected Tensor Y { get; private set; } = null!;

    protected Tensor Dy { get; private set; } = null!;

    protected Tensor? Dx { get; private set; }

    protected int Batch { get; private set; }

    protected int ChunkCount { get; private set; }

    /// <summary>
    /// Threads the forward of one sample may use: the layer's degree of parallelism when the batch is a single sample
    /// (there are no chunks to spread, so an engine may split the sample's own product), else 1.
    /// </summary>
    protected int SampleThreads { get; private set; } = 1;

    /// <summary>An inference BatchNorm (+ ReLU) applied to each output sample as the engine finishes it (null: none).</summary>
    public OutputAffine? Post { get; set; }

    /// <summary>The parts the last single-sample forward was split into (1: not split).</summary>
    public int LastForwardParts { get; private set; } = 1;

    /// <summary>y = conv(x) + b for the batch in <paramref name="x"/>.</summary>
    public void Forward(Tensor x, Tensor y, int degreeOfParallelism)
    {
        Begin(x);
        Y = y;
        PrepareForward();
        if (ChunkCount == 1 && degreeOfParallelism > 1)
        {
            // Called here rather than through the pool (which would run it inline and keep it from splitting).
            SampleThreads = degreeOfParallelism;
            try
            {
                ForwardChunk(0, 0, 1);
            }
            finally
            {
                SampleThreads = 1;
            }
        }
        else
        {
            WorkerPool.Run(_forward, ChunkCount, degreeOfParallelism);
        }

        End();
    }

    /// <summary>∂E/∂W and ∂E/∂b into the parameters' gradients (overwritten), and δx when <paramref name="dx"/> is given.</summary>
    public void Backward(Tensor x, Tensor dy, Tensor? dx, int degreeOfParallelism)
    {
        Begin(x);
        Dy = dy;
        Dx = dx;
        Grow(ref _dw, ChunkCount, Weight.Value.Length);
        Grow(ref _db, ChunkCount, OutChannels);
        PrepareBackward();
        WorkerPool.Run(_backward, ChunkCount, degreeOfParallelism);
        End();

        // Reduce the per-chunk partial sums in chunk order: deterministic whatever the thread count.
        Reduce(_dw, ChunkCount, Weight.Gradient.AsSpan());
        if (Bias is not null)
        {
            Reduce(_db, ChunkCount, Bias.Gradient.AsSpan());
        }
    }

    /// <summary>Buffers and weight layouts for a forward pass over <see cref="Batch"/> samples in <see cref="ChunkCount"/> chunks.</summary>
    protected abstract void PrepareForward();

    /// <summary>As <see cref="PrepareForward"/>, for a backward pass.</summary>
    protected abstract void PrepareBackward();

    /// <summary>Forward for samples [start, end), on chunk <paramref name="chunk"/>'s buffers.</summary>
    protected abstract void ForwardChunk(int chunk, int start, int end);

    /// <summary>Backward for samples [start, end): this chunk's partial ∂E/∂W into <paramref name="dw"/> (overwritten),
    /// ∂E/∂b added into <paramref name="db"/> (cleared), δx of these samples.</summary>
    protected abstract void BackwardChunk(int chunk, int start, int end, Span<float> dw, Span<float> db);

    /// <summary>b_q added to every position of output map q while a result row is copied out.</summary>
    protected static void CopyRow(ReadOnlySpan<float> source, Span<float> row, ReadOnlySpan<float> bias, int q)
    {
        if (bias.IsEmpty)
        {
            source.CopyTo(row);
        }
        else
        {
            TensorPrimitives.Add(source, bias[q], row);
        }
    }

    /// <summary>Every engine calls this once it has written maps [q0, q1) of output sample <paramref name="sample"/>.</summary>
    protected void FinishSample(int sample, int q0, int q1) =>
        Post?.Apply(Y.AsSpan().Slice(sample * OutputVolume, OutputVolume), Geometry.OutputVolume, q0, q1);

    /// <summary>
    /// Parts of one sample's forward, each a range of output maps in whole 4-row blocks (the same bits whatever the
    /// split): several only when <see cref="SampleThreads"/> allows and the product has at least
    /// <paramref name="minimum"/> multiply-adds (waking a second thread costs more than a small product saves).
    /// Records the result in <see cref="LastForwardParts"/>.
    /// </summary>
    protected int SampleParts(bool splittable, long multiplyAdds, long minimum)
    {
        int parts = SampleThreads > 1 && splittable && multiplyAdds >= minimum ? Math.Max(1, Math.Min(SampleThreads, OutChannels / 4)) : 1;
        LastForwardParts = parts;
        return parts;
    }

    /// <summary>Runs the <paramref name="parts"/> parts of one sample's forward (<see cref="ForwardRows"/>) on
    /// <see cref="SampleThreads"/> threads.</summary>
    protected void RunRows(int chunk, int sample, int parts)
    {
        _rows ??= new RowsWork(this);
        _rows.Set(chunk, sample, parts);
        WorkerPool.Run(_rows, parts, SampleThreads);
    }

    /// <summary>Part <paramref name="index"/> of a split sample's forward: output maps <see cref="PartRows"/> only.</summary>
    protected virtual void ForwardRows(int chunk, int sample, int index, int parts) =>
        throw new NotSupportedException("This engine does not split a sample.");

    /// <summary>Maps [q0, q1) of part <paramref name="index"/> of <paramref name="parts"/>, in whole 4-row blocks.</summary>
    protected (int Q0, int Q1) PartRows(int index, int parts)
    {
        int blocks = (OutChannels + 3) / 4;
        return (Math.Min(OutChannels, blocks * index / parts * 4), Math.Min(OutChannels, blocks * (index + 1) / parts * 4));
    }

    protected static void Grow(ref float[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new float[length];
        }
    }

    protected static void Grow(ref float[][] buffers, int count, int length)
    {
        if (buffers.Length < count)
        {
            Array.Resize(ref buffers, count);
        }

        for (int i = 0; i < count; i++)
        {
            if (buffers[i] is null || buffers[i].Length < length)
            {
                buffers[i] = new float[length];
            }
        }
    }

    private static void Reduce(float[][] partials, int chunks, Span<float> total)
    {
        partials[0].AsSpan(0, total.Length).CopyTo(total);
        for (int c = 1; c < chunks; c++)
        {
            TensorPrimitives.Add(total, partials[c].AsSpan(0, total.Length), total);
        }
    }

    private void Begin(Tensor x)
    {
        X = x;
        Batch = x.Shape[0];
        ChunkCount = Math.Min(Batch, Chunks);
    }

    private void End()
    {
        X = Y = Dy = null!;
        Dx = null;
    }

    private (int Start, int End) Range(int chunk) =>
        ((int)((long)chunk * Batch / ChunkCount), (int)((long)(chunk + 1) * Batch / ChunkCount));

    private sealed class ChunkWork(ConvolutionEngine engine, bool backward) : ParallelWork
    {
        public override void Execute(int index)
        {
            var (start, end) = engine.Range(index);
            if (!backward)
            {
                engine.ForwardChunk(index, start, end);
                return;
            }

            Span<float> db = engine._db[index].AsSpan(0, engine.OutChannels);
            db.Clear();
            engine.BackwardChunk(index, start, end, engine._dw[index].AsSpan(0, engine.Weight.Value.Length), db);
        }
    }

    /// <summary>The parts of one split sample's forward.</summary>
    private sealed class RowsWork(ConvolutionEngine engine) : ParallelWork
    {
        private int _chunk, _sample, _parts;

        public void Set(int chunk, int sample, int parts) => (_chunk, _sample, _parts) = (chunk, sample, parts);

        public override void Execute(int index) => engine.ForwardRows(_chunk, _sample, index, _parts);
    }
}
