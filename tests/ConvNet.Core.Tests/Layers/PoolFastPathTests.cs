using System;
using ConvNet.Layers;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Layers;

/// <summary>The vectorized 2×2 max pool (rows of 16 outputs, moved-back last block, over-reading short rows) against a
/// plain scan of every window: same maxima, same argmax, first maximum in row-major order on ties.</summary>
public class PoolFastPathTests
{
    [Fact]
    public void Every_width_1_to_70_matches_the_plain_scan_including_ties_and_the_tensor_end()
    {
        var rng = new Random(77);
        for (int w = 2; w <= 70; w++)
        {
            int n = rng.Next(1, 4), c = rng.Next(1, 4), h = rng.Next(2, 7);
            var x = new Tensor(n, c, h, w);
            Span<float> xs = x.AsSpan();
            for (int i = 0; i < xs.Length; i++)
            {
                // Few distinct values: many ties.
                xs[i] = rng.Next(0, 4) - (rng.Next(10) == 0 ? 100f : 0f);
            }

            var pool = new MaxPool2D(2);
            var y = pool.Forward(x);
            int oh = h / 2, ow = w / 2;
            y.Shape.ToArray().Should().Equal(n, c, oh, ow);
            for (int plane = 0; plane < n * c; plane++)
            {
                for (int i = 0; i < oh; i++)
                {
                    for (int j = 0; j < ow; j++)
                    {
                        int o = (((plane * oh) + i) * ow) + j;
                        float best = float.NegativeInfinity;
                        int arg = -1;
                        foreach (var (di, dj) in new[] { (0, 0), (0, 1), (1, 0), (1, 1) })
                        {
                            int at = ((((2 * i) + di) * w) + (2 * j)) + dj;
                            float v = xs[(plane * h * w) + at];
                            if (arg < 0 || v > best)
                            {
                                best = v;
                                arg = at;
                            }
                        }

                        y.AsSpan()[o].Should().Be(best, $"w={w} plane={plane} ({i},{j})");
                        pool.ArgMax[o].Should().Be(arg, $"w={w} plane={plane} ({i},{j})");
                    }
                }
            }
        }
    }
}
