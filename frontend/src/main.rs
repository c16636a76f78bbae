fn main() {
    // The supervisor's bundle (`supervisor.html`, built with the `supervisor` feature) mounts
    // the supervisor's view; the widget's bundle, the widget.
    #[cfg(feature = "supervisor")]
    minivoice_widget::supervisor::mount_page();
    #[cfg(not(feature = "supervisor"))]
    minivoice_widget::mount_page();
}
