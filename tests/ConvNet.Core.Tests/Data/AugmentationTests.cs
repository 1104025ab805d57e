using System;
using System.Linq;
using System.Threading;
using ConvNet.Core.Tests.Infrastructure;
using ConvNet.Data;
using ConvNet.Data.Transforms;
using ConvNet.Losses;
using ConvNet.Models;
using ConvNet.Optimizers;
using ConvNet.Training;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Data;

/// <summary>Random crop, flip and normalization: their formulas, their seeding discipline, and exact resume.</summary>
public sealed class AugmentationTests
{
    private static Dataset Images(int n, int c = 2, int h = 5, int w = 4)
    {
        var x = new float[n * c * h * w];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = i + 1;
        }

        return new Dataset(x, new int[n], [c, h, w], 1);
    }

    private static float[] Batch(DataSource source, int[] indices, int epoch)
    {
        var shape = source.SampleShape;
        var t = new Tensor(indices.Length, shape[0], shape[1], shape[2]);
        source.CopyBatch(indices, t, new int[indices.Length], null, epoch);
        return t.ToArray();
    }

    [Fact]
    public void RandomCrop_is_a_shift_with_zero_fill_by_the_drawn_offset()
    {
        var data = Images(3);
        var crop = new RandomCrop(2);
        var aug = new AugmentedSource(data, seed: 8, crop);
        for (int epoch = 0; epoch < 4; epoch++)
        {
            var got = Batch(aug, [0, 1, 2], epoch);
            for (int s = 0; s < 3; s++)
            {
                var r = new SampleRandom(8, epoch, s, 0);
                int dy = r.Next(5) - 2, dx = r.Next(5) - 2;
                var x = data.Sample(s);
                for (int c = 0; c < 2; c++)
                {
                    for (int i = 0; i < 5; i++)
                    {
                        for (int j = 0; j < 4; j++)
                        {
                            int si = i + dy, sj = j + dx;
                            float expected = si is >= 0 and < 5 && sj is >= 0 and < 4 ? x[(((c * 5) + si) * 4) + sj] : 0f;
                            got[(s * 40) + (((c * 5) + i) * 4) + j].Should().Be(expected, $"epoch {epoch} sample {s} ({c},{i},{j}) offset ({dy},{dx})");
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void Flip_reverses_rows_with_its_probability_and_normalize_is_per_channel()
    {
        var data = Images(1, c: 1, h: 1, w: 4);
        Batch(new AugmentedSource(data, 1, new RandomHorizontalFlip(1)), [0], 0).Should().Equal(4, 3, 2, 1);
        Batch(new AugmentedSource(data, 1, new RandomHorizontalFlip(0)), [0], 0).Should().Equal(1, 2, 3, 4);
        var two = Images(1, c: 2, h: 1, w: 2);
        Batch(new AugmentedSource(two, 1, new Normalize([1, 3], [2, 0.5f])), [0], -1).Should().Equal(0, 0.5f, 0, 2);

        int flipped = 0;
        var half = new AugmentedSource(Images(400, c: 1, h: 1, w: 2), 3, new RandomHorizontalFlip());
        var all = Batch(half, Enumerable.Range(0, 400).ToArray(), 0);
        for (int s = 0; s < 400; s++)
        {
            flipped += all[2 * s] > all[(2 * s) + 1] ? 1 : 0;
        }

        flipped.Should().BeInRange(160, 240, "p = ½ over 400 samples (±4σ)");
    }

    [Fact]
    public void Augmentation_depends_only_on_seed_epoch_and_sample_and_is_off_at_evaluation()
    {
        var data = Images(4);
        var aug = new AugmentedSource(data, 5, new RandomCrop(1), new RandomHorizontalFlip());
        Batch(aug, [2, 3], 1).Should().Equal(Batch(new AugmentedSource(data, 5, new RandomCrop(1), new RandomHorizontalFlip()), [2, 3], 1));
        var alone = Batch(aug, [3], 1);
        Batch(aug, [2, 3], 1).AsSpan(40).ToArray().Should().Equal(alone, "a sample's variant does not depend on its batch");
        Batch(aug, [0, 1, 2, 3], 1).Should().NotEqual(Batch(aug, [0, 1, 2, 3], 2), "every epoch draws new variants");
        Batch(aug, [0, 1, 2, 3], -1).Should().Equal(Batch(data, [0, 1, 2, 3], -1), "evaluation sees the plain images");
        FluentActions.Invoking(() => new AugmentedSource(new Dataset(new float[4], [0], [4], 1), 0, new RandomCrop(1))).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => new AugmentedSource(data, 0, new Normalize([0], [1]))).Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Training_on_augmented_data_resumes_exactly_and_is_the_same_on_two_threads()
    {
        var source = new AugmentedSource(ShippedData.Train.Subset(0, 256), 17, new RandomCrop(2), new RandomHorizontalFlip());
        TrainingOptions Options(int threads) => new() { Epochs = 2, BatchSize = 64, Seed = 9, DegreeOfParallelism = threads };
        var straight = LeNet5.Modern(seed: 4);
        new Trainer(straight, new SoftmaxCrossEntropy(), new Sgd(0.05, 0.9), Options(1)).Fit(source);

        var net = LeNet5.Modern(seed: 4);
        var trainer = new Trainer(net, new SoftmaxCrossEntropy(), new Sgd(0.05, 0.9), Options(2));
        using var cts = new CancellationTokenSource();
        trainer.Callbacks.Add(new CancelAt(5, cts));
        trainer.Fit(source, cancellationToken: cts.Token).Cancelled.Should().BeTrue();
        trainer.Fit(source);
        for (int i = 0; i < net.Parameters.Count; i++)
        {
            net.Parameters[i].Value.ToArray().Should().Equal(straight.Parameters[i].Value.ToArray(), $"parameter {i}");
        }
    }

    private sealed class CancelAt(int batches, CancellationTokenSource cts) : TrainingCallback
    {
        private int _n;

        public override void OnBatchEnd(Trainer trainer)
        {
            if (++_n == batches)
            {
                cts.Cancel();
            }
        }
    }
}
