using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch.nn;
using TT = TorchSharp.torch.Tensor;

namespace ConvNet.Bench.Torch;

/// <summary>libtorch (TorchSharp) twins of ConvNet.Models.ResNet.ResNet20 and ConvNet.Models.LeNet5.Modern.</summary>
internal static class TorchModels
{
    /// <summary>
    /// ResNet-20 for 1×28×28: stem Conv3×3 1→16 (no bias) → BN → ReLU; 3 stages × 3 basic blocks at 16/32/64 channels,
    /// first block of stages 2 and 3 with stride 2 and a 1×1 stride-2 conv + BN projection; global average pool →
    /// Linear 64→10. Parameter order matches ConvNet's (body before shortcut, weight before bias).
    /// </summary>
    public static Module<TT, TT> ResNet20()
    {
        var layers = new List<(string, Module<TT, TT>)>
        {
            ("stem_conv", Conv(1, 16, 3, 1)),
            ("stem_bn", BatchNorm2d(16)),
            ("stem_relu", ReLU()),
        };
        int channels = 16;
        int[] widths = [16, 32, 64];
        for (int stage = 0; stage < widths.Length; stage++)
        {
            for (int block = 0; block < 3; block++)
            {
                int stride = stage > 0 && block == 0 ? 2 : 1;
                layers.Add(($"stage{stage + 1}_block{block + 1}", new BasicBlock(channels, widths[stage], stride)));
                channels = widths[stage];
            }
        }

        layers.Add(("pool", AdaptiveAvgPool2d(1)));
        layers.Add(("flatten", Flatten()));
        layers.Add(("fc", Linear(channels, 10)));
        return Sequential(layers);
    }

    /// <summary>
    /// Modern LeNet-5: conv 5×5 1→6 (same padding = 2), ReLU, max-pool 2, conv 5×5 6→16 (valid), ReLU, max-pool 2,
    /// flatten, FC 400→120, ReLU, FC 120→84, ReLU, FC 84→10 (61,706 parameters).
    /// </summary>
    public static Module<TT, TT> LeNet5Modern() => Sequential(
        ("C1", Conv2d(1, 6, 5, padding: 2)),
        ("relu1", ReLU()),
        ("S2", MaxPool2d(2)),
        ("C3", Conv2d(6, 16, 5)),
        ("relu3", ReLU()),
        ("S4", MaxPool2d(2)),
        ("flatten", Flatten()),
        ("F5", Linear(400, 120)),
        ("relu5", ReLU()),
        ("F6", Linear(120, 84)),
        ("relu6", ReLU()),
        ("output", Linear(84, 10)));

    internal static Conv2d Conv(long inChannels, long outChannels, long kernel, long stride) =>
        Conv2d(inChannels, outChannels, kernel, stride: stride, padding: kernel / 2, bias: false);

    /// <summary>Conv3×3 → BN → ReLU → Conv3×3 → BN → + shortcut → ReLU (1×1 conv + BN projection when the shape changes).</summary>
    private sealed class BasicBlock : Module<TT, TT>
    {
        private readonly Module<TT, TT> body;
        private readonly Module<TT, TT> shortcut;
        private readonly bool identity;

        public BasicBlock(int inChannels, int outChannels, int stride)
            : base(nameof(BasicBlock))
        {
            body = Sequential(
                Conv(inChannels, outChannels, 3, stride),
                BatchNorm2d(outChannels),
                ReLU(),
                Conv(outChannels, outChannels, 3, 1),
                BatchNorm2d(outChannels));
            identity = stride == 1 && inChannels == outChannels;
            shortcut = identity
                ? Sequential()
                : Sequential(Conv(inChannels, outChannels, 1, stride), BatchNorm2d(outChannels));
            RegisterComponents();
        }

        public override TT forward(TT input)
        {
            // Intermediates are released by the caller's dispose scope.
            var y = body.forward(input);
            var s = identity ? input : shortcut.forward(input);
            return torch.nn.functional.relu(y.add_(s));
        }
    }
}
