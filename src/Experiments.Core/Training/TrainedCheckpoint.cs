using Experiments.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Training;

/// <summary>Saves a completed experiment's model and resolved configuration where its context asks (<see cref="ExperimentContext.Checkpoints"/>).</summary>
internal static class TrainedCheckpoint
{
    /// <summary>
    /// The result with its checkpoint written (<see cref="ExperimentResult.Checkpoint"/>); a write that fails (a full
    /// disk, a folder that cannot be created) keeps the result and says why in <see cref="ExperimentResult.CheckpointError"/>.
    /// </summary>
    public static ExperimentResult Save(IExperiment experiment, ExperimentContext context, nn.Module<Tensor, Tensor> model, ExperimentResult result)
    {
        if (context.Checkpoints is not { } options || result.Status != ExperimentStatus.Completed || result.Inputs is null)
        {
            return result;
        }

        var config = ConfigOf(experiment, context.Data.Description, result);
        try
        {
            return result with { Checkpoint = ModelCheckpoint.Save(options.Directory, model, config, context.ResultsDirectory) };
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Whatever stops the write (a full disk, a folder that cannot be created, a state PyBridge cannot encode),
            // the trained result is worth more than its file: it is kept, and the host says why it has no checkpoint.
            return result with { CheckpointError = $"the checkpoint could not be written into '{options.Directory}': {exception.Message}" };
        }
    }

    /// <summary>The resolved configuration of a completed result, as <c>config.json</c> holds it.</summary>
    public static ExperimentConfig ConfigOf(IExperiment experiment, Data.DatasetDescription dataset, ExperimentResult result) => new()
    {
        Experiment = experiment.Name,
        Description = experiment.Description,
        SourceFile = experiment.SourceFile,
        ConfigurationSha256 = experiment.ConfigurationSha256,
        CodeFingerprint = experiment.CodeFingerprint,
        Dataset = dataset,
        Hyperparameters = result.Hyperparameters,
        Architecture = result.Model ?? experiment.Architecture,
        Network = experiment.Network,
        Inputs = result.Inputs!,
        TestAccuracy = result.Test?.Accuracy,
        Epoch = result.BestEpoch,
    };
}
