using System;
using System.Collections.Generic;
using ConvNet.Data.Transforms;

namespace ConvNet.Data;

/// <summary>
/// Another source's samples passed through a pipeline of transforms (e.g. <see cref="RandomCrop"/>,
/// <see cref="RandomHorizontalFlip"/>, <see cref="Normalize"/>) as each batch is copied. Random transforms run while
/// training (epoch ≥ 0) with randomness that is a pure function of (seed, epoch, sample index, transform position), so
/// every epoch sees new variants, runs stay bit-reproducible and a resumed run sees exactly what an uninterrupted one
/// saw; at evaluation (epoch −1) only the deterministic transforms run.
/// </summary>
public sealed class AugmentedSource : DataSource
{
    private readonly DataSource _source;
    private readonly SampleTransform[] _transforms;
    private readonly float[] _scratch;

    /// <summary>Creates the pipeline.</summary>
    /// <param name="source">The samples.</param>
    /// <param name="seed">The augmentation seed.</param>
    /// <param name="transforms">Applied in order.</param>
    public AugmentedSource(DataSource source, int seed, params SampleTransform[] transforms)
    {
        ThrowHelper.NotNull(source, nameof(source));
        ThrowHelper.NotNull(transforms, nameof(transforms));
        _transforms = (SampleTransform[])transforms.Clone();
        foreach (var t in _transforms)
        {
            ThrowHelper.NotNull(t, nameof(transforms));
            t.Validate(source.SampleShape);
        }

        _source = source;
        Seed = seed;
        _scratch = new float[Tensor.ValidateShape(source.SampleShape, nameof(source))];
    }

    /// <summary>The augmentation seed.</summary>
    public int Seed { get; }

    /// <summary>The transforms, in order.</summary>
    public IReadOnlyList<SampleTransform> Transforms => _transforms;

    /// <inheritdoc/>
    public override int Count => _source.Count;

    /// <inheritdoc/>
    public override ReadOnlySpan<int> SampleShape => _source.SampleShape;

    /// <inheritdoc/>
    public override int Classes => _source.Classes;

    /// <inheritdoc/>
    public override ReadOnlySpan<int> TargetShape => _source.TargetShape;

    /// <inheritdoc/>
    protected override void CopyBatchCore(ReadOnlySpan<int> indices, Tensor batch, Span<int> labels, Tensor? targets, int epoch)
    {
        _source.CopyBatch(indices, batch, labels, targets, epoch);
        int size = _scratch.Length;
        var shape = _source.SampleShape;
        Span<float> all = batch.AsSpan();
        for (int i = 0; i < indices.Length; i++)
        {
            var sample = all.Slice(i * size, size);
            for (int t = 0; t < _transforms.Length; t++)
            {
                if (_transforms[t].IsRandom && epoch < 0)
                {
                    continue;
                }

                var random = new SampleRandom(Seed, epoch, indices[i], t);
                _transforms[t].Apply(sample, shape, _scratch, ref random);
            }
        }
    }
}
